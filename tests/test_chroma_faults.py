"""A Chroma server that is down, goes down during an ingest or a question, answers slowly,
or speaks another version: each ends in a message naming ASSISTANT_CHROMA_URL, nothing
stored is lost, and the next ingest finishes the job. Real ``chroma run`` servers."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from assistant.app.compose import build_services
from assistant.config import Settings
from assistant.errors import ConfigError, StoreUnavailableError
from assistant.ingest.sync import ingest_paths
from devtools.chroma_server import ChromaServer, free_port
from tests.slow_relay import SlowRelay


def write_feed(path: Path, first: int, count: int) -> None:
    records = [
        {
            "id": f"story{n}",
            "title": f"Harbour report {n}",
            "text": f"Report {n} on the harbour works: the cranes moved cargo. " * 30,
            "published": "2024-03-01",
        }
        for n in range(first, first + count)
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[ChromaServer]:
    """A server of this test's own, free to be killed and started again."""
    server = ChromaServer(tmp_path / "chroma").start()
    yield server
    server.stop()


def on(server_url: str, settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"chroma_url": server_url, **changes})


def test_server_down_at_start_names_the_setting(settings: Settings) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StoreUnavailableError, match=r"ASSISTANT_CHROMA_URL.*does not answer"):
        build_services(on(url, settings))


def test_cli_reports_a_server_down_without_a_traceback(settings: Settings, tmp_path: Path) -> None:
    from assistant.app.cli import main

    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(
        main,
        ["ingest", str(tmp_path)],
        env={
            "ASSISTANT_CHROMA_URL": url,
            "ASSISTANT_CACHE_DIR": str(settings.cache_dir),
        },
    )
    assert result.exit_code != 0
    assert f"The Chroma server at {url} (ASSISTANT_CHROMA_URL) does not answer" in result.output
    assert "Traceback" not in result.output


def test_server_dies_mid_ingest_then_next_ingest_finishes(
    own_server: ChromaServer, settings: Settings, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_feed(corpus / "first.jsonl", 0, 3)
    services = build_services(on(own_server.url, settings))
    ingest_paths(services.store, [corpus], 50)
    stored = {a.id: a.chunks for a in services.store.list_articles()}
    assert len(stored) == 3

    write_feed(corpus / "second.jsonl", 3, 8)
    services.store.embed_batch = 4

    def kill_after_first_batch(done: int, total: int) -> None:
        if done > 0 and own_server.process is not None:
            own_server.kill()

    with pytest.raises(StoreUnavailableError, match="ASSISTANT_CHROMA_URL"):
        ingest_paths(services.store, [corpus], 50, progress=kill_after_first_batch)
    with pytest.raises(StoreUnavailableError, match="ASSISTANT_CHROMA_URL"):
        services.retriever.retrieve("harbour cranes")  # a question while it is down

    own_server.start()  # same folder, same port
    again = build_services(on(own_server.url, settings))
    kept = {a.id: a.chunks for a in again.store.list_articles()}
    assert {k: kept[k] for k in stored} == stored  # nothing stored before was lost
    report = ingest_paths(again.store, [corpus], 50)
    assert report.added + report.updated > 0 and not report.cancelled
    articles = again.store.list_articles()
    assert len(articles) == 11
    chunk_ids = again.store.vectors.collection.get(include=[])["ids"]
    assert len(chunk_ids) == len(set(chunk_ids)) == sum(a.chunks for a in articles)
    assert again.store.keywords.count() == len(chunk_ids)
    assert again.retriever.retrieve("harbour report 10 cranes")


def test_slow_server_gives_a_clear_message_and_loses_nothing(
    chroma_server: ChromaServer, settings: Settings, tmp_path: Path
) -> None:
    relay = SlowRelay(chroma_server.port, delay=3.0)
    try:
        slow_settings = on(relay.url, settings, chroma_timeout=1.0, collection="slowtest")
        services = build_services(slow_settings)
        feed = tmp_path / "feed.jsonl"
        write_feed(feed, 0, 2)
        ingest_paths(services.store, [feed], 50)
        relay.slow.set()
        with pytest.raises(
            StoreUnavailableError,
            match=r"did not answer within 1 s \(ASSISTANT_CHROMA_TIMEOUT\)",
        ):
            services.retriever.retrieve("harbour cranes")
        relay.slow.clear()
        assert services.store.count_articles() == 2
        assert services.retriever.retrieve("harbour cranes")
    finally:
        relay.close()


class _OldChroma(BaseHTTPRequestHandler):
    """Answers as a Chroma 0.4 server does: API v1 only."""

    def do_GET(self) -> None:
        if self.path == "/api/v1/version":
            body = b'"0.4.24"'
            self.send_response(200)
        else:
            body = b'{"detail":"Not Found"}'
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_server_of_another_version_is_refused_by_name(settings: Settings) -> None:
    old = ThreadingHTTPServer(("127.0.0.1", 0), _OldChroma)
    threading.Thread(target=old.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{old.server_address[1]}"
        with pytest.raises(ConfigError, match=r"version 0\.4\.24.*needs a Chroma 1\.x server"):
            build_services(on(url, settings))
    finally:
        old.shutdown()
