"""Feeds kept current, against a local HTTP server whose feed changes between reads: new
entries reach search and answers, an entry read twice is stored once, a broken feed is
reported and retried with backoff while the other feeds go on."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.app.cli import main
from assistant.app.compose import Services, build_chains, build_services
from assistant.config import Settings
from assistant.errors import LoadError
from assistant.ingest.feed_watch import FIRST_RETRY_S, FeedList, FeedWatcher
from assistant.types import Answer, Retrieved
from tests.samples import rss_feed

ROUTES: dict[str, tuple[int, str, bytes]] = {}
HARBOUR = {
    "guid": "urn:gazette:harbour",
    "link": "https://gazette.example/harbour",
    "title": "Storm floods the harbour of Quellmoor",
    "date": "Thu, 02 May 2024 08:00:00 GMT",
    "description": "<p>A storm flooded the harbour district of Quellmoor on Thursday, and "
    "hundreds of residents were moved to shelters, the mayor said.</p>",
}
ZORBLATT = {
    "guid": "urn:gazette:zorblatt",
    "link": "https://gazette.example/zorblatt",
    "title": "Zorblatt festival draws a record crowd",
    "date": "Fri, 03 May 2024 09:00:00 GMT",
    "description": "<p>The zorblatt festival in Quellmoor drew a record crowd of 12,000 "
    "visitors on Friday, its organisers said. Turnip lanterns lit the old town.</p>",
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, kind, body = ROUTES.get(self.path, (404, "text/plain", b"not found"))
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    ROUTES.clear()
    ROUTES["/feed"] = (200, "application/rss+xml", rss_feed([HARBOUR]).encode())
    ROUTES["/broken"] = (200, "application/rss+xml", b"Internal error, this is no feed")
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings)


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _watcher(services: Services, tmp_path: Path, *urls: str) -> tuple[FeedWatcher, _Clock]:
    feeds = FeedList(tmp_path / "feeds.txt")
    for url in urls:
        feeds.add(url)
    clock = _Clock()
    return FeedWatcher(services.store, feeds, 30, 5.0, clock=clock), clock


def test_new_entries_are_stored_once_and_reach_answers(
    services: Services, tmp_path: Path, site: str
) -> None:
    watcher, clock = _watcher(services, tmp_path, f"{site}/feed")
    [first] = watcher.poll_due()
    assert first.ok and first.last_success is not None, first
    assert first.last_report.startswith("1 added"), first.last_report
    assert services.store.count_articles() == 1
    assert watcher.poll_due() == []  # not due again before the schedule

    # The feed moves on: the old entry is still in it, a new one is added.
    ROUTES["/feed"] = (200, "application/rss+xml", rss_feed([ZORBLATT, HARBOUR]).encode())
    clock.now += 30 * 60
    [second] = watcher.poll_due()
    assert second.last_report.startswith("1 added, 0 updated, 0 removed, 1 unchanged")
    titles = sorted(a.title for a in services.store.list_articles())
    assert titles == [HARBOUR["title"], ZORBLATT["title"]]  # the harbour entry once

    # The new entry is found for a question, and the answer cites it.
    llm = FakeListChatModel(responses=["The festival drew 12,000 visitors [1]."])
    qa = build_chains(llm, services.settings, services).qa
    events = list(qa.stream("How many visitors came to the zorblatt festival?"))
    retrieved = next(e for e in events if isinstance(e, Retrieved))
    assert retrieved.passages[0].title == ZORBLATT["title"]
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.cited_passages
    assert answer.cited_passages[0].title == ZORBLATT["title"], answer.text


def test_a_broken_feed_is_reported_retried_with_backoff_and_stops_nothing(
    services: Services, tmp_path: Path, site: str
) -> None:
    watcher, clock = _watcher(
        services, tmp_path, f"{site}/broken", f"{site}/missing", f"{site}/feed"
    )
    broken, missing, good = watcher.poll_due()
    assert "not a readable RSS or Atom feed" in broken.last_error, broken
    assert "HTTP 404" in missing.last_error, missing
    assert good.ok and services.store.count_articles() == 1  # the others went on
    assert broken.failures == 1 and broken.next_due == clock.now + FIRST_RETRY_S

    clock.now += FIRST_RETRY_S
    assert {s.url for s in watcher.poll_due()} == {broken.url, missing.url}
    assert broken.failures == 2 and broken.next_due == clock.now + 2 * FIRST_RETRY_S

    # Mended, it is read at its next retry, and its failures are forgotten.
    ROUTES["/broken"] = (200, "application/rss+xml", rss_feed([ZORBLATT]).encode())
    clock.now += 2 * FIRST_RETRY_S
    assert watcher.refresh(broken.url).ok and broken.failures == 0
    assert broken.next_due == clock.now + 30 * 60


def test_an_unexpected_failure_is_reported_and_the_watcher_goes_on(
    services: Services, tmp_path: Path, site: str
) -> None:
    def explode(*_: object) -> None:
        raise RuntimeError("disk on fire")

    feeds = FeedList(tmp_path / "feeds.txt")
    feeds.add(f"{site}/feed")
    watcher = FeedWatcher(services.store, feeds, 30, 5.0, ingest=explode)  # type: ignore[arg-type]
    watcher.start()
    try:
        watcher.refresh(f"{site}/feed")
        [status] = watcher.statuses()
        assert "RuntimeError: disk on fire" in status.last_error
        assert watcher._thread is not None and watcher._thread.is_alive()
    finally:
        watcher.stop()


def test_the_feed_list_is_a_file_of_urls(tmp_path: Path) -> None:
    path = tmp_path / "feeds.txt"
    path.write_text("# the desk's feeds\nhttps://a.example/rss\n\nhttps://a.example/rss\n")
    feeds = FeedList(path)
    assert feeds.urls() == ["https://a.example/rss"]
    assert feeds.add(" https://b.example/atom ") and not feeds.add("https://b.example/atom")
    assert feeds.remove("https://a.example/rss") and not feeds.remove("https://a.example/rss")
    assert FeedList(path).urls() == ["https://b.example/atom"]
    with pytest.raises(LoadError, match="file:"):
        feeds.add("file:///etc/passwd")


def test_assistant_watch_once_reads_the_feeds_without_the_app(
    settings: Settings, tmp_path: Path, site: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds = tmp_path / "my-feeds.txt"
    feeds.write_text(f"{site}/feed\n{site}/broken\n")
    monkeypatch.setenv("ASSISTANT_VECTORSTORE_DIR", str(settings.vectorstore_dir))
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(settings.cache_dir))
    monkeypatch.setenv("ASSISTANT_FEEDS", str(feeds))
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    result = CliRunner().invoke(main, ["watch", "--once"])
    assert result.exit_code == 1, result.output  # one feed failed
    assert f"{site}/feed: 1 added" in result.output
    assert f"{site}/broken: failed" in result.output and "not a readable" in result.output
    assert build_services(settings).store.count_articles() == 1


def test_the_feeds_panel_adds_reads_reports_and_removes(
    services: Services, tmp_path: Path, site: str
) -> None:
    from assistant.app.web.feeds_panel import FeedsHandler

    watcher, _ = _watcher(services, tmp_path)
    panel = FeedsHandler(watcher)
    assert "No feeds yet" in panel.table()
    assert panel.add(f"{site}/feed") == f"Added {site}/feed."  # read at once
    assert services.store.count_articles() == 1
    assert "failed" in panel.add(f"{site}/broken")
    assert "is listed already" in panel.add(f"{site}/feed")
    assert "file:" in panel.add("file:///etc/passwd")
    table = panel.table()
    assert "every 30 minutes" in table
    assert f"| {site}/feed |" in table and "✅ 1 added" in table
    assert f"| {site}/broken | never | ⚠️" in table and "not a readable" in table
    assert panel.refresh(None) == "Read 2 feed(s); 1 failed (see below)."
    assert "2 failures in a row" in panel.table()
    assert panel.remove(f"{site}/broken").startswith("Removed")
    assert panel.choices() == [f"{site}/feed"]
