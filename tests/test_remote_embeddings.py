"""Ingest and search through a real OpenAI-compatible /v1/embeddings server (the bundled
MiniLM served over HTTP by devtools.embedding_server, started here on 127.0.0.1) and a real
Chroma server: batches sized for a server, retries of a busy one, a clear message for one
that is down, and vectors of two models never mixed in one collection."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.app.compose import build_services
from assistant.config import Settings
from assistant.errors import ConfigError, EmbeddingsUnavailableError
from assistant.index.remote_embeddings import BATCH
from assistant.ingest.sync import ingest_paths
from devtools.chroma_server import ChromaServer, free_port
from devtools.embedding_server import MODEL_NAME
from tests.conftest import PROJECT_ROOT, SEED_DIR


class EmbeddingServer:
    def __init__(self, cache_dir: Path, fail_first: int = 0) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devtools.embedding_server",
                "--port",
                str(self.port),
                "--cache-dir",
                str(cache_dir),
                "--fail-first",
                str(fail_first),
            ],
            cwd=PROJECT_ROOT,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/v1/models", timeout=1).is_success:
                    break
            except httpx.HTTPError:
                pass
            assert self.process.poll() is None, "the embedding server exited"
            assert time.monotonic() < deadline, "the embedding server did not start"
            time.sleep(0.2)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        return f"{self.base}/v1"

    def stats(self) -> dict[str, Any]:
        served: dict[str, Any] = httpx.get(f"{self.base}/stats", timeout=5).json()
        return served

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


@pytest.fixture
def embedding_server(cache_dir: Path) -> Iterator[EmbeddingServer]:
    server = EmbeddingServer(cache_dir, fail_first=1)  # busy once: the client must retry
    yield server
    server.stop()


def remote(settings: Settings, chroma: ChromaServer, url: str) -> Settings:
    return settings.model_copy(
        update={
            "chroma_url": chroma.url,
            "collection": f"remote{uuid.uuid4().hex[:8]}",
            "embeddings_url": url,
            "embeddings_model": MODEL_NAME,
        }
    )


def test_ingest_and_search_through_the_embedding_server(
    embedding_server: EmbeddingServer,
    chroma_server: ChromaServer,
    settings: Settings,
    tmp_path: Path,
) -> None:
    services = build_services(remote(settings, chroma_server, embedding_server.url))
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        "\n".join(
            f'{{"id": "n{n}", "title": "Note {n}", "text": "Harbour note {n}: cranes.",'
            f' "published": "2024-03-01"}}'
            for n in range(150)
        )
        + "\n"
    )
    report = ingest_paths(services.store, [SEED_DIR, feed], 50)
    assert report.added == 151 and not report.problems
    served = embedding_server.stats()
    assert served["refused"] == 1  # the first request was refused, and retried
    assert served["texts"] == report.chunks_embedded
    assert max(served["batch_sizes"]) <= BATCH and len(served["batch_sizes"]) >= 3
    found = services.retriever.retrieve("Who did Zelenskyy speak with?")
    assert found and found[0].title.startswith("In a significant development")
    assert embedding_server.stats()["texts"] == report.chunks_embedded + 1  # the question


def test_vectors_of_two_models_are_never_mixed(
    embedding_server: EmbeddingServer, chroma_server: ChromaServer, settings: Settings
) -> None:
    on_server = remote(settings, chroma_server, embedding_server.url)
    bundled = on_server.model_copy(update={"embeddings_url": None})
    services = build_services(bundled)
    ingest_paths(services.store, [SEED_DIR], 50)
    with pytest.raises(ConfigError, match="made with 'all-MiniLM-L6-v2-int8'"):
        build_services(on_server)
    assert services.store.count_articles() == 1


def test_embedding_server_down_is_named_and_nothing_is_lost(
    embedding_server: EmbeddingServer,
    chroma_server: ChromaServer,
    settings: Settings,
    tmp_path: Path,
) -> None:
    services = build_services(remote(settings, chroma_server, embedding_server.url))
    ingest_paths(services.store, [SEED_DIR], 50)
    stored = {a.id: a.chunks for a in services.store.list_articles()}
    chunks = services.store.count_chunks()
    embedding_server.stop()
    more = tmp_path / "more.txt"
    more.write_text("Bridge opens\n\nThe new bridge opened on Monday.")
    with pytest.raises(
        EmbeddingsUnavailableError, match=r"ASSISTANT_EMBEDDINGS_URL\) cannot be reached"
    ):
        ingest_paths(services.store, [more], 50)
    assert {a.id: a.chunks for a in services.store.list_articles()} == stored
    assert services.store.count_chunks() == chunks
