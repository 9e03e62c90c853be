"""The Stories tab in a real browser: a story's coverage across outlets, and "Ask about this
story", which takes the reader to the Ask tab with questions kept to the story's articles.

The app runs over the scripted model server (its replies are known; the real model's
judging of outlets is tested in tests/test_e2e_coverage.py), with two outlets' reports of
one ferry disaster beside the seed corpus."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from devtools.scripted_model import ScriptedServer
from tests.browser.conftest import AppServer, Tab, require_chromium, start_app
from tests.browser.test_chat_browser import ANSWER_TIMEOUT_MS, BOT, CHAT_BOX
from tests.test_e2e_coverage import FERRY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def stories_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require_chromium()
    folder = tmp_path_factory.mktemp("stories-app")
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "ferry.jsonl").write_text(
        "".join(
            json.dumps({"id": i, "published": d, "source": s, "title": t, "text": x}) + "\n"
            for i, d, s, t, x in FERRY
        )
    )
    with ScriptedServer(token_delay=0.0) as model:
        app = start_app(folder, {"ASSISTANT_LLM_URL": model.url})
        yield app
        app.stop()


def test_coverage_then_ask_about_the_story(stories_app: AppServer, tab: Tab) -> None:
    page = tab.page
    page.goto(stories_app.url)
    page.get_by_role("tab", name="Stories").click()
    page.locator("#stories-list").get_by_text("lakeside-news.com").wait_for()
    page.locator("#story-choice input").click()
    page.get_by_role("option").first.click()
    page.locator("#story-articles").get_by_text("Lake Victoria").first.wait_for()
    tab.shoot("story-opened")

    page.get_by_role("button", name="Coverage across outlets").click()
    coverage = page.locator("#story-coverage")
    coverage.get_by_text("Where they disagree").wait_for(timeout=60_000)
    text = coverage.inner_text()
    assert "eastafrican-times.com" in text and "lakeside-news.com" in text
    assert "At least 31 people were killed" in text  # the first outlet's report, word for word
    tab.shoot("coverage")

    page.get_by_role("button", name="Ask about this story").click()
    story_field = page.locator("#ask-story textarea, #ask-story input").first
    story_field.wait_for(state="visible")
    assert story_field.input_value()
    tab.shoot("ask-tab")
    # The Stories tab's text boxes are in the page too, hidden: the visible one is the chat's.
    box = page.locator(f"{CHAT_BOX}:visible").last
    box.fill("How many people died?")
    box.press("Enter")
    answer = page.locator(BOT).last
    answer.get_by_text("Answered by").wait_for(timeout=ANSWER_TIMEOUT_MS)
    tab.shoot("answered")
    text = answer.inner_text()
    assert "On the story: " in text, text
    sources = text.split("Sources", 1)[1]
    assert "Lake Victoria" in sources and "2024-03-25" not in sources  # not the seed
    tab.assert_no_console_errors()
