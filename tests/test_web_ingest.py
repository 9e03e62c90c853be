"""URLs served from a local http.server, and feeds read again through the real store."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.app.cli import main
from assistant.app.compose import Services, build_services
from assistant.config import Settings
from assistant.ingest.readers.web import load_url, looks_like_url
from assistant.ingest.sync import ingest_paths, ingest_sources
from tests.samples import news_page, rss_feed

MB = 1_000_000

FEED_ITEMS = [
    {
        "title": f"Story {n}",
        "link": f"https://gazette.example/{n}",
        "guid": f"gazette-{n}",
        "date": f"Thu, 0{n} May 2024 08:00:00 GMT",
        "description": f"<p>Report number {n} on the harbour works.</p>",
    }
    for n in range(1, 6)
]
# What the server answers: path -> (status, headers, body); tests change it as they go.
ROUTES: dict[str, tuple[int, dict[str, str], bytes]] = {}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(3)
        if self.path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            try:
                for _ in range(10_000):  # no Content-Length: only the reader's cap stops it
                    self.wfile.write(b"x" * 10_000)
            except (BrokenPipeError, ConnectionResetError):
                pass
            return
        status, headers, body = ROUTES.get(self.path, (404, {}, b"not found"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        # The client may have given up first (the timeout test).
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    ROUTES.update(
        {
            "/story": (200, {"Content-Type": "text/html; charset=utf-8"}, news_page().encode()),
            "/feed": (
                200,
                {"Content-Type": "application/rss+xml"},
                rss_feed(FEED_ITEMS[:3]).encode(),
            ),
            "/note": (
                200,
                {"Content-Type": "text/plain; charset=utf-8"},
                "Bridge reopens\n\nThe bridge reopened on Monday, café owners said.".encode(),
            ),
            "/logo": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n"),
            "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
            "/moved": (301, {"Location": "/story"}, b""),
        }
    )
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_page_url_is_extracted_like_a_file(server: str) -> None:
    result = load_url(f"{server}/story", MB)
    assert result.problems == []
    [article] = result.articles
    assert article.title == "Storm floods harbour district"
    assert article.published == date(2024, 5, 2)
    assert article.url == article.origin == f"{server}/story"


def test_redirect_is_followed_and_final_url_kept(server: str) -> None:
    [article] = load_url(f"{server}/moved", MB).articles
    assert article.url == f"{server}/story"
    assert article.origin == f"{server}/moved"


def test_feed_url_gives_one_article_per_entry(server: str) -> None:
    result = load_url(f"{server}/feed", MB)
    assert [a.title for a in result.articles] == ["Story 1", "Story 2", "Story 3"]


def test_plain_text_url(server: str) -> None:
    [article] = load_url(f"{server}/note", MB).articles
    assert article.title == "Bridge reopens"
    assert "café owners" in article.body


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/logo", "not a page, feed or text"),
        ("/missing", "HTTP 404"),
        ("/endless", "over the 1.0 MB limit"),
        ("/to-file", "could not be fetched"),
    ],
)
def test_bad_answers_are_reported(server: str, path: str, reason: str) -> None:
    result = load_url(f"{server}{path}", MB)
    assert result.articles == []
    assert reason in result.problems[0].reason
    assert f"{server}{path}" in result.failed_origins


def test_timeout_is_reported(server: str) -> None:
    started = time.perf_counter()
    result = load_url(f"{server}/slow", MB, timeout=0.5)
    assert time.perf_counter() - started < 2.5
    assert "could not be fetched" in result.problems[0].reason


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed.xml", "gopher://x"])
def test_other_schemes_are_refused(url: str) -> None:
    assert looks_like_url(url)
    result = load_url(url, MB)
    assert result.articles == []
    assert "only http:// and https://" in result.problems[0].reason


def test_paths_are_not_urls() -> None:
    assert not looks_like_url("seeds/story.txt")
    assert not looks_like_url("/abs/path.html")
    assert not looks_like_url("C:\\news\\a.txt")
    assert looks_like_url("https://example.org/a")


def test_cli_refuses_other_schemes_before_loading_anything(settings: Settings) -> None:
    result = CliRunner().invoke(main, ["ingest", "file:///etc/passwd"], obj=settings)
    assert result.exit_code != 0
    assert "only http:// and https:// URLs are fetched" in result.output


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings)


def test_feed_url_read_again_adds_only_new_entries(server: str, services: Services) -> None:
    first = ingest_sources(services.store, [f"{server}/feed"], 1)
    assert (first.added, first.problems) == (3, [])
    # Later the feed has scrolled: entry 1 fell out, entries 4 and 5 are new.
    ROUTES["/feed"] = (
        200,
        {"Content-Type": "application/rss+xml"},
        rss_feed(FEED_ITEMS[1:]).encode(),
    )
    second = ingest_sources(services.store, [f"{server}/feed"], 1)
    assert (second.added, second.unchanged, second.removed, second.updated) == (2, 2, 0, 0)
    assert second.chunks_embedded == 2
    assert services.store.count_articles() == 5


def test_feed_file_read_again_through_ingest_paths(services: Services, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    feed = corpus / "world.rss"
    feed.write_text(rss_feed(FEED_ITEMS[:2]))
    assert ingest_paths(services.store, [corpus], 1).added == 2
    feed.write_text(rss_feed(FEED_ITEMS[1:4]))  # a newer copy of the same feed
    again = ingest_paths(services.store, [corpus], 1)
    assert (again.added, again.unchanged, again.removed) == (2, 1, 0)
    assert again.chunks_embedded == 2
    titles = {a.title for a in services.store.list_articles()}
    assert titles == {"Story 1", "Story 2", "Story 3", "Story 4"}
    feed.unlink()  # the feed file itself removed from the folder: its articles go
    assert ingest_paths(services.store, [corpus], 1).removed == 4


def test_cli_ingests_a_url_and_a_file_together(
    server: str, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    monkeypatch.setenv("ASSISTANT_VECTORSTORE_DIR", str(settings.vectorstore_dir))
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(settings.cache_dir))
    page = tmp_path / "page.html"
    page.write_text(news_page(title="Bridge reopens after repairs"))
    result = CliRunner().invoke(main, ["ingest", f"{server}/story", str(page)])
    assert result.exit_code == 0, result.output
    assert "2 added" in result.output
    titles = {a.title for a in build_services(settings).store.list_articles()}
    assert titles == {"Storm floods harbour district", "Bridge reopens after repairs"}
