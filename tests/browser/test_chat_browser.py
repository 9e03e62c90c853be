"""The web app in a real browser: Debian's Chromium, driven by Playwright, against the app
started as ``python -m assistant.app.cli serve`` with the embedded model server.

Screenshots of every step land in test-output/browser/ (git-ignored).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import AppServer, Tab, require_chromium, start_app

pytestmark = pytest.mark.e2e

ANSWER_TIMEOUT_MS = 180_000
BOT = '[data-testid="bot"]'
# The chat's message box: the last text area (the date filters above it have their own).
# Its placeholder goes once the conversation has started, so it is not found by that.
CHAT_BOX = 'textarea[data-testid="textbox"]'

# Records, every 40 ms, each new text of the bot message number `index` (0-based), so the
# test can see the answer grow while it streams.
_RECORD_JS = """index => {
    window.__snapshots = [];
    window.__recorder = setInterval(() => {
        const bots = document.querySelectorAll('[data-testid="bot"]');
        if (bots.length <= index) return;
        const text = bots[index].innerText;
        const seen = window.__snapshots;
        if (seen.length === 0 || seen[seen.length - 1] !== text) seen.push(text);
    }, 40);
}"""

_DONE_JS = """index => {
    const bots = document.querySelectorAll('[data-testid="bot"]');
    if (bots.length <= index) return false;
    const text = bots[index].innerText;
    return text.includes('Answered by') || text.includes('⚠️');
}"""


@dataclass
class Reply:
    text: str
    snapshots: list[str]

    @property
    def partials(self) -> list[str]:
        """The texts seen while the answer was being written (not the final one)."""
        return [
            s
            for s in self.snapshots
            if s.strip() and "Searching the articles" not in s and "Answered by" not in s
        ]

    @property
    def sources(self) -> str:
        assert "Sources" in self.text, f"no sources under the answer:\n{self.text}"
        return self.text.split("Sources", 1)[1]


def ask(tab: Tab, question: str) -> Reply:
    """Type a question into the chat box, send it, and wait for the whole answer."""
    page = tab.page
    index = page.locator(BOT).count()
    page.evaluate(_RECORD_JS, index)
    box = page.locator(CHAT_BOX).last
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(_DONE_JS, arg=index, timeout=ANSWER_TIMEOUT_MS, polling=100)
    snapshots: list[str] = page.evaluate("clearInterval(window.__recorder), window.__snapshots")
    text = page.locator(BOT).nth(index).inner_text()
    assert "⚠️" not in text, f"the app answered with an error:\n{text}"
    return Reply(text, snapshots)


def open_app(tab: Tab, app: AppServer) -> None:
    tab.page.goto(app.url)
    tab.page.get_by_placeholder("Type a message...").wait_for()
    tab.shoot("opened")


def test_question_and_follow_up_stream_with_sources(app_server: AppServer, tab: Tab) -> None:
    open_app(tab, app_server)
    header = tab.page.get_by_text("articles in the corpus").inner_text()
    assert "3 articles in the corpus" in header
    assert "embedded llama.cpp" in header

    first = ask(tab, "Who did Zelenskyy speak with?")
    tab.shoot("first-answer")
    partials = first.partials
    assert len(partials) >= 2, f"the answer did not stream: {first.snapshots}"
    assert len(partials[-1]) > len(partials[0]), partials
    answer = first.text.split("Sources", 1)[0]
    assert "Sánchez" in answer or "Sanchez" in answer, first.text
    assert "2024-03-25" in first.sources

    second = ask(tab, "What else did they discuss?")
    tab.shoot("follow-up-answer")
    assert "2024-03-25" in second.sources, second.text
    assert tab.page.locator(BOT).count() == 2
    tab.assert_no_console_errors()


def test_article_html_is_shown_as_text_never_run(app_server: AppServer, tab: Tab) -> None:
    open_app(tab, app_server)
    reply = ask(tab, "What happened at the zorblatt festival?")
    tab.shoot("zorblatt-answer")
    assert "zorblatt" in reply.sources.lower(), reply.text
    # The article's markup is visible, character for character, as text …
    assert "<script>window.__pwned=1</script>" in reply.sources
    assert "<script>" in tab.page.inner_text("body")
    assert 'onerror="window.__pwned=2"' in reply.sources
    # … and none of it became an element, or ran.
    chat = tab.page.locator('[role="log"]')
    assert chat.locator("script").count() == 0
    assert chat.locator('img[src="x"]').count() == 0
    assert tab.page.evaluate("window.__pwned") is None
    tab.assert_no_console_errors()


def _wait_for_text(tab: Tab, selector: str, needle: str) -> str:
    tab.page.wait_for_function(
        "([selector, needle]) => (document.querySelector(selector)?.innerText || '')"
        ".includes(needle)",
        arg=[selector, needle],
        timeout=ANSWER_TIMEOUT_MS,
        polling=200,
    )
    return tab.page.locator(selector).inner_text()


def test_summarize_the_seed_article(app_server: AppServer, tab: Tab) -> None:
    """The Summarize tab summarizes the seed article, with its date 2024-03-25 and source."""
    open_app(tab, app_server)
    page = tab.page
    page.get_by_role("tab", name="Summarize").click()
    picker = page.get_by_label("Article (type to search)")
    picker.click()
    picker.fill("significant development")
    page.get_by_role("option", name="In a significant development").first.click()
    tab.shoot("article-chosen")
    page.get_by_role("button", name="Summarize").click()
    text = _wait_for_text(tab, "#summary-output", "Source")
    tab.shoot("summary")
    assert "⚠️" not in text, text
    assert "Zelenskyy" in text and "2024-03-25" in text
    tab.assert_no_console_errors()


def test_fact_check_a_claim(app_server: AppServer, tab: Tab) -> None:
    """The Fact-check tab rates a claim about the seed article, quotes shown as verified."""
    open_app(tab, app_server)
    page = tab.page
    page.get_by_role("tab", name="Fact-check").click()
    page.get_by_label("Claim, or a paragraph of claims").fill(
        "Spain and Ukraine signed a bilateral security agreement."
    )
    page.get_by_role("button", name="Check").click()
    text = _wait_for_text(tab, "#factcheck-output", "Overall:")
    tab.shoot("verdict")
    assert "⚠️" not in text, text
    assert "Overall: ✅ SUPPORTED" not in text  # they agreed to prepare one, not signed it
    if "“" in text:  # evidence shown must be marked as verified, with its article's date
        assert "✓ verified quote" in text and "2024-03-25" in text
    tab.assert_no_console_errors()


def test_upload_an_article_then_ask_about_it(
    app_server: AppServer, tab: Tab, tmp_path: Path
) -> None:
    """An article uploaded in the page is ingested and the next answer cites it."""
    upload = tmp_path / "harbour.md"
    upload.write_text(
        "---\ntitle: Quillmoor harbour reopens\ndate: 2024-04-02\nsource: Coast Gazette\n---\n"
        "The Quillmoor harbour reopened on Tuesday after a storm closed it for two weeks. "
        "Harbour master Ilse Varga said fishing boats can use the north quay again.\n"
    )
    open_app(tab, app_server)
    page = tab.page
    page.get_by_role("tab", name="Articles").click()
    page.locator('input[type="file"]').set_input_files(str(upload))
    page.get_by_role("button", name="Add to the corpus").click()
    report = _wait_for_text(tab, "#upload-report", "added")
    tab.shoot("uploaded")
    assert "1 added" in report, report
    page.get_by_role("tab", name="Ask").click()
    reply = ask(tab, "Who is the harbour master of Quillmoor?")
    tab.shoot("answer-about-upload")
    assert "Quillmoor harbour reopens" in reply.sources, reply.text
    assert "2024-04-02" in reply.sources
    tab.assert_no_console_errors()


# --- login ------------------------------------------------------------------------------

USER, PASSWORD = "editor", "s3cret:with-colon"


@pytest.fixture(scope="module")
def app_with_login(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require_chromium()
    app = start_app(
        tmp_path_factory.mktemp("browser-login"), {"ASSISTANT_AUTH": f"{USER}:{PASSWORD}"}
    )
    yield app
    app.stop()


def test_with_auth_the_page_asks_for_a_login_first(app_with_login: AppServer, tab: Tab) -> None:
    # Without credentials the app's configuration and its chat API are refused.
    assert httpx.get(app_with_login.url + "/config", timeout=10).status_code == 401
    page = tab.page
    page.goto(app_with_login.url)
    password = page.locator('input[type="password"]')
    password.wait_for()
    tab.shoot("login-page")
    assert page.get_by_placeholder("Type a message...").count() == 0
    assert "articles in the corpus" not in page.inner_text("body")

    def log_in(password_text: str) -> None:
        # The form is emptied after a refused attempt: fill both fields every time.
        page.get_by_label("username").fill(USER)
        password.fill(password_text)
        password.press("Enter")

    log_in("wrong")
    page.get_by_text("Incorrect Credentials").wait_for()
    tab.shoot("login-refused")
    assert page.get_by_placeholder("Type a message...").count() == 0

    log_in(PASSWORD)
    page.get_by_placeholder("Type a message...").wait_for()
    tab.shoot("logged-in")
    assert "articles in the corpus" in page.inner_text("body")
    # The deliberately wrong password above is answered 400 by Gradio's /login, which the
    # browser logs as a failed resource; that one (and only that one) is expected.
    refused = f"status of 400 (Bad Request) ({{'url': '{app_with_login.url}/login'"
    tab.errors[:] = [e for e in tab.errors if refused not in e]
    tab.assert_no_console_errors()
