"""Citations as the reader sees them, in a real browser: a sentence no passage supports is
marked, and each citation shows the words of its passage that support the answer.

The app runs over the scripted model server, which answers with the question's own words
and "[1]", so what the model writes is known and the check of it can be seen exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from devtools.scripted_model import ScriptedServer
from tests.browser.conftest import AppServer, Tab, require_chromium, start_app
from tests.browser.test_chat_browser import BOT, ask

pytestmark = pytest.mark.e2e

SUPPORTED = "Zelenskyy and Sánchez discussed air defense"
UNSUPPORTED = "The moon is made of cheese"


@pytest.fixture(scope="module")
def scripted_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require_chromium()
    with ScriptedServer(token_delay=0.0) as model:
        app = start_app(tmp_path_factory.mktemp("citations-app"), {"ASSISTANT_LLM_URL": model.url})
        yield app
        app.stop()


def test_unsupported_sentence_is_marked_and_quotes_sit_under_the_citation(
    scripted_app: AppServer, tab: Tab
) -> None:
    page = tab.page
    page.goto(scripted_app.url)
    page.locator("#model-choice").wait_for()  # the model selector is in the header
    # The scripted model answers "Answer for <question> [1].": two statements of ours.
    reply = ask(tab, f"What was said. {SUPPORTED}. {UNSUPPORTED}")
    tab.shoot("answered")
    answer = reply.text.split("Sources", 1)[0]
    assert f"{UNSUPPORTED} (not found in the sources)" in answer
    marked = page.locator(BOT).last.locator("em", has_text="not found in the sources")
    assert marked.count() >= 1
    assert f"{SUPPORTED} [1]" in answer
    # Under the citation: the seed's own sentences about the call and air defense.
    quote = page.locator(BOT).last.locator("blockquote").first.inner_text()
    assert "air defense" in quote and "Sánchez" in quote, quote
    tab.assert_no_console_errors()
