"""Two app replicas, two real processes, on one real Chroma server: what one ingests the
other finds by words and by meaning within seconds and without a restart (its keyword index
catches up article by article), and two ingests at once leave the store consistent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.tokens import install_offline_encoding
from devtools.chroma_server import ChromaServer
from tests.conftest import PROJECT_ROOT


class Replica:
    def __init__(self, server: ChromaServer, collection: str, folder: Path) -> None:
        folder.mkdir(parents=True)
        install_offline_encoding(folder)
        self.log = folder / "stderr.log"
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.replica_worker", server.url, collection, str(folder)],
                cwd=PROJECT_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
            )
        assert self.reply() == {"ready": True}

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def reply(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line, f"the replica died: {self.log.read_text()[-2000:]}"
        answer: dict[str, Any] = json.loads(line)
        return answer

    def ask(self, line: str) -> dict[str, Any]:
        self.send(line)
        return self.reply()

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.fixture
def replicas(chroma_server: ChromaServer, tmp_path: Path) -> Iterator[tuple[Replica, Replica]]:
    collection = f"replicas{uuid.uuid4().hex[:8]}"
    first = Replica(chroma_server, collection, tmp_path / "replica-a")
    second = Replica(chroma_server, collection, tmp_path / "replica-b")
    yield first, second
    first.close()
    second.close()


def write_feed(path: Path, records: list[tuple[str, str, str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [
        json.dumps({"id": i, "title": t, "text": x, "published": f"2024-03-0{n % 9 + 1}"})
        for n, (i, t, x) in enumerate(records)
    ]
    path.write_text("\n".join(lines) + "\n")


BASE = [
    (f"base{n}", f"Council meeting {n}", f"The town council met for the {n}th time about roads.")
    for n in range(6)
]


def poll(replica: Replica, text: str, wanted: str, seconds: float = 8.0) -> dict[str, Any]:
    deadline = time.monotonic() + seconds
    while True:
        found = replica.ask(f"find {text}")
        if wanted in found["keyword"] and wanted in found["retrieved"]:
            return found
        assert time.monotonic() < deadline, f"{wanted} not found by the other replica: {found}"
        time.sleep(0.3)


def test_what_one_replica_ingests_the_other_finds(
    replicas: tuple[Replica, Replica], tmp_path: Path
) -> None:
    a, b = replicas
    write_feed(tmp_path / "base" / "feed.jsonl", BASE)
    a.ask(f"ingest {tmp_path / 'base'}")
    before = poll(b, "council meeting roads", "base3")
    assert before["read_again"] == len(BASE)  # the base, read once from Chroma

    news = tmp_path / "news" / "quarry.jsonl"
    write_feed(
        news,
        [("quarry", "Zorblax quarry collapse", "A wall of the Zorblax quarry in Vendria fell.")],
    )
    started = time.monotonic()
    a.ask(f"ingest {news}")
    by_words = poll(b, "Zorblax quarry", "quarry")
    assert time.monotonic() - started < 8.0
    # Only the new article was read again: an incremental catch-up, no rebuild.
    assert by_words["read_again"] == len(BASE) + 1
    by_meaning = b.ask("find stone pit accident in Vendria")
    assert "quarry" in by_meaning["retrieved"]
    assert "Rebuilding the keyword index" not in b.log.read_text()


def _check_consistent(state: dict[str, Any]) -> None:
    catalog: dict[str, dict[str, Any]] = state["catalog"]
    chunk_ids = [c[0] for c in state["chunks"]]
    assert len(chunk_ids) == len(set(chunk_ids)), "duplicate chunks"
    assert all(e["state"] == "ready" for e in catalog.values()), "pending left over"
    by_article: dict[str, list[tuple[int, str]]] = {}
    for _, article_id, index, text in state["chunks"]:
        assert article_id in catalog, f"orphan chunk of {article_id}"
        by_article.setdefault(article_id, []).append((index, text))
    for article_id, entry in catalog.items():
        chunks = sorted(by_article.get(article_id, []))
        assert [i for i, _ in chunks] == list(range(entry["chunks"])), article_id
        # Every chunk comes from the version the catalog names (the file it came from).
        version = "alpha" if "/alpha/" in entry["origin"] else "beta"
        assert all(version in text for _, text in chunks), article_id
    assert sorted(state["keyword_ids"]) == sorted(chunk_ids), "keyword index out of step"


def test_two_ingests_at_once_leave_the_store_consistent(
    replicas: tuple[Replica, Replica], tmp_path: Path
) -> None:
    a, b = replicas
    # The same article ids in two versions of different lengths: interleaved writes would
    # leave articles with chunks of both.
    for version, repeat in (("alpha", 14), ("beta", 26)):
        write_feed(
            tmp_path / version / "feed.jsonl",
            [
                (f"story{n}", f"Story {n}", f"Story {n} {version}: the harbour grew. " * repeat)
                for n in range(12)
            ],
        )
    a.send(f"ingest {tmp_path / 'alpha'}")
    b.send(f"ingest {tmp_path / 'beta'}")
    reports = [a.reply(), b.reply()]
    assert all("12 added" in r["report"] or "12 updated" in r["report"] for r in reports), reports
    for replica in (a, b):
        replica.ask("find harbour")  # the keyword index catches up first
        time.sleep(1.1)
        replica.ask("find harbour")
        _check_consistent(replica.ask("state"))
    waited = [r for r in (a, b) if "waiting for it to finish" in r.log.read_text()]
    assert len(waited) == 1, "one ingest waits for the other, saying so"
