"""Two logins in real browsers: each sees only the conversations it had. The app answers
from the scripted model (its answers echo the question), so no model server is started."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from devtools.scripted_model import ScriptedServer
from tests.browser.conftest import AppServer, Tab, require_chromium, start_app
from tests.browser.test_chat_browser import ask

pytestmark = pytest.mark.e2e

LOGINS = {"ann": "pw-ann", "bob": "pw-bob"}


@pytest.fixture(scope="module")
def app_with_logins(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require_chromium()
    with ScriptedServer(token_delay=0.01) as model:
        app = start_app(
            tmp_path_factory.mktemp("logins-app"),
            {
                "ASSISTANT_LLM_URL": model.url,
                "ASSISTANT_AUTH": ",".join(f"{u}:{p}" for u, p in LOGINS.items()),
            },
        )
        yield app
        app.stop()


def _logged_in(browser: Browser, app: AppServer, user: str) -> Tab:
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(30_000)
    tab = Tab(page, f"logins-{user}")
    page.on(
        "console", lambda m: tab.errors.append(f"console: {m.text}") if m.type == "error" else None
    )
    page.on("pageerror", lambda error: tab.errors.append(f"page error: {error}"))
    page.goto(app.url)
    page.get_by_label(re.compile("username", re.I)).fill(user)
    page.get_by_label(re.compile("password", re.I)).fill(LOGINS[user])
    page.get_by_role("button", name=re.compile("login", re.I)).click()
    page.get_by_placeholder("Type a message...").wait_for()
    tab.errors.clear()  # the login page's own 401s before signing in are expected
    return tab


def _past(tab: Tab) -> list[str]:
    tab.page.get_by_text("Past conversations").click()
    tab.page.locator("#past-list input").click()
    tab.page.wait_for_timeout(1000)  # the list is filled when it gets focus
    return tab.page.get_by_role("option").all_inner_texts()


def test_each_login_sees_only_its_own_conversations(
    app_with_logins: AppServer, browser: Browser
) -> None:
    ann = _logged_in(browser, app_with_logins, "ann")
    ask(ann, "Who did Zelenskyy speak with? Ann asks")
    bob = _logged_in(browser, app_with_logins, "bob")
    ask(bob, "What did Zelenskyy and Sánchez discuss? Bob asks")

    ann_sees, bob_sees = _past(ann), _past(bob)
    ann.shoot("ann-list")
    bob.shoot("bob-list")
    assert len(ann_sees) == 1 and "Ann asks" in ann_sees[0], ann_sees
    assert len(bob_sees) == 1 and "Bob asks" in bob_sees[0], bob_sees
    expect(ann.page.get_by_role("option", name=re.compile("Bob asks"))).to_have_count(0)
    for tab in (ann, bob):
        tab.assert_no_console_errors()
        tab.page.context.close()
