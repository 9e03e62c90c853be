"""The Feeds panel in a real browser: a feed served on this machine is added and read at
once, a broken one is reported, both are read again on demand, and one is removed. The
app answers from the scripted model, so no model server is started."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from devtools.scripted_model import ScriptedServer
from tests.browser.conftest import AppServer, Tab, require_chromium, start_app
from tests.samples import rss_feed
from tests.test_feed_watch import HARBOUR, ROUTES, _Handler

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    ROUTES.clear()
    ROUTES["/feed"] = (200, "application/rss+xml", rss_feed([HARBOUR]).encode())
    ROUTES["/broken"] = (200, "application/rss+xml", b"Internal error, this is no feed")
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    require_chromium()
    with ScriptedServer(token_delay=0.01) as model:
        started = start_app(tmp_path_factory.mktemp("feeds-app"), {"ASSISTANT_LLM_URL": model.url})
        yield started
        started.stop()


def test_feeds_are_added_read_reported_and_removed(app: AppServer, site: str, tab: Tab) -> None:
    page = tab.page
    page.goto(app.url)
    page.get_by_role("tab", name="Articles").click()
    page.get_by_text("Feeds", exact=True).click()
    status = page.locator("#feeds-status")
    expect(status).to_contain_text("No feeds yet")

    page.get_by_label("Feed URL").fill(f"{site}/feed")
    page.get_by_role("button", name="Add feed").click()
    expect(status).to_contain_text("1 added", timeout=60_000)
    expect(page.get_by_text("4 articles in the corpus")).to_be_visible()  # the header follows

    page.get_by_label("Feed URL").fill(f"{site}/broken")
    page.get_by_role("button", name="Add feed").click()
    expect(status).to_contain_text("not a readable RSS or Atom feed", timeout=60_000)
    tab.shoot("two-feeds")

    page.get_by_role("button", name="Refresh now").click()
    expect(page.get_by_text("Read 2 feed(s); 1 failed")).to_be_visible(timeout=60_000)
    expect(status).to_contain_text("2 failures in a row")

    page.locator("#feeds-list input").click()
    page.get_by_role("option", name=f"{site}/broken").click()
    page.get_by_role("button", name="Remove", exact=True).click()
    expect(page.get_by_text("the articles read from it stay")).to_be_visible()
    expect(status).not_to_contain_text("/broken")
    tab.shoot("removed")
    tab.assert_no_console_errors()
