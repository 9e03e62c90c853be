"""Kept conversations in a real browser: a chat is saved as it goes, and after a reload it
is listed under its first question, reopened, exported as Markdown and deleted."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import AppServer, Tab
from tests.browser.test_chat_browser import BOT, ask, open_app

pytestmark = pytest.mark.e2e

# Asked by no other test of the session, which may share this app and its kept chats.
QUESTION = "Which prime minister did Zelenskyy speak with?"


def _choose_past(tab: Tab, title: str) -> None:
    page = tab.page
    page.locator("#past-list input").click()  # listed afresh when the list gets focus
    page.get_by_role("option", name=re.compile(re.escape(title))).first.click()


def test_a_chat_is_kept_reopened_exported_and_deleted(app_server: AppServer, tab: Tab) -> None:
    open_app(tab, app_server)
    first = ask(tab, QUESTION)
    assert "2024-03-25" in first.sources

    # A reload is a new page session: the chat is gone from the page, not from the list.
    tab.reload()
    tab.page.get_by_placeholder("Type a message...").wait_for()
    assert tab.page.locator(BOT).count() == 0
    tab.page.get_by_text("Past conversations").click()
    _choose_past(tab, QUESTION)
    tab.shoot("listed")
    tab.page.get_by_role("button", name="Open", exact=True).click()
    reopened = tab.page.locator(BOT).first
    reopened.wait_for()
    assert "2024-03-25" in reopened.inner_text()
    assert QUESTION in tab.page.locator('[data-testid="user"]').first.inner_text()
    tab.shoot("reopened")

    tab.page.get_by_role("button", name="Export as Markdown").click()
    link = tab.page.locator("#past-export a").first
    link.wait_for()
    with tab.page.expect_download() as download:
        link.click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert markdown.startswith(f"# {QUESTION}") and "2024-03-25" in markdown, markdown

    tab.page.get_by_role("button", name="Delete").click()
    tab.page.get_by_text("Deleted.").wait_for()
    tab.page.locator("#past-list input").click()
    gone = tab.page.get_by_role("option", name=re.compile(re.escape(QUESTION)))
    expect(gone).to_have_count(0)
    tab.shoot("deleted")
    tab.assert_no_console_errors()
