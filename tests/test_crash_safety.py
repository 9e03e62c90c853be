"""Ingestion killed with SIGKILL at random points leaves a store the next run repairs.

Each round changes the corpus (new, edited and deleted articles), starts an ingest in a
subprocess, kills it between two writes of its sync chosen at random (the worker stops
there and says so, so the kill cannot land before or after the sync on a slow or fast
machine), runs an ingest to completion and checks
the store against the corpus: every article ready with exactly its chunks, no orphan or
duplicate chunks, the keyword index holding the same chunks as Chroma, and the articles
untouched by the round still stored as they were (not even re-embedded). It runs on a store
in an embedded folder and on a Chroma server.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from assistant.ingest.readers.files import load_paths
from devtools.chroma_server import ChromaServer
from tests.conftest import PROJECT_ROOT

ROUNDS = 20
# On a Chroma server the same writes go over HTTP; fewer rounds keep the suite short.
SERVER_ROUNDS = 5
# The writes of a sync in each kind of round (the worker prints each sync's count): the
# first stores 300 new articles; each later one replaces 10, adds 11 and deletes 2.
FIRST_SYNC_WRITES = 377
LATER_SYNC_WRITES = 39


def _write_corpus(corpus: Path, round_no: int, rng: random.Random) -> None:
    """Round 0 writes ~300 small articles; later rounds edit, add and delete some."""
    if round_no == 0:
        for f in range(20):
            _write_wire(corpus / f"wire{f:02}.jsonl", f, 0)
        for n in range(100):
            (corpus / f"note{n:03}.txt").write_text(
                f"Harbour note {n}\n\nThe harbour works reached stage {n} this week."
            )
        return
    wires = sorted(corpus.glob("wire*.jsonl"))
    for path in rng.sample(wires, k=1):  # edited: every record changes
        _write_wire(path, int(path.stem[4:]), round_no)
    _write_wire(corpus / f"wire{100 + round_no}.jsonl", 100 + round_no, round_no)  # new
    notes = sorted(corpus.glob("note*.txt"))
    for path in rng.sample(notes, k=min(2, len(notes))):  # deleted
        path.unlink()
    (corpus / f"note{500 + round_no}.txt").write_text(f"New note {round_no}\n\nFresh text.")


def _write_wire(path: Path, f: int, version: int) -> None:
    records = [
        {
            "id": f"wire-{f}-{r}",
            "title": f"Wire story {f}.{r}",
            # Long enough for 2 to 3 chunks, so an article can be cut half-written.
            "text": f"Version {version} of story {f}.{r}: the council met about roads. " * 12,
            "published": f"2024-03-{1 + r:02}",
        }
        for r in range(10)
    ]
    path.write_text("\n".join(json.dumps(rec) for rec in records) + "\n")


def _start_worker(
    store: Path, cache: Path, corpus: Path, server: list[str]
) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.crash_worker", str(store), str(cache), str(corpus), *server],
        cwd=PROJECT_ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )


def _state_after_recovery(worker: subprocess.Popen[str]) -> dict[str, Any]:
    """A new worker first finishes what the killed one left: its first line is the state."""
    assert worker.stdout is not None
    line = worker.stdout.readline()
    assert line, f"the worker died with code {worker.poll()}"
    state: dict[str, Any] = json.loads(line)["state"]
    return state


def _check_consistent(state: dict[str, Any], expected: dict[str, str]) -> None:
    catalog: dict[str, dict[str, Any]] = state["catalog"]
    chunks: list[tuple[str, str, int]] = [tuple(c) for c in state["chunks"]]
    chunk_ids = [c[0] for c in chunks]
    assert len(chunk_ids) == len(set(chunk_ids)), "duplicate chunk ids"
    assert all(entry["state"] == "ready" for entry in catalog.values()), "pending left over"
    per_article: dict[str, list[int]] = {}
    for _, article_id, index in chunks:
        assert article_id in catalog, f"orphan chunk of {article_id}"
        per_article.setdefault(article_id, []).append(index)
    for article_id, entry in catalog.items():
        indices = sorted(per_article.get(article_id, []))
        assert indices == list(range(entry["chunks"])), f"{article_id} has chunks {indices}"
    assert sorted(state["keyword_ids"]) == sorted(chunk_ids), "keyword index out of step"
    stored = {i: e["hash"].split(":")[0] for i, e in catalog.items()}
    assert stored == expected


@pytest.mark.parametrize(("backend", "rounds"), [("folder", ROUNDS), ("server", SERVER_ROUNDS)])
def test_sigkill_at_random_points_then_rerun_is_consistent(
    tmp_path: Path, cache_dir: Path, request: pytest.FixtureRequest, backend: str, rounds: int
) -> None:
    rng = random.Random(20240325)
    corpus, store = tmp_path / "corpus", tmp_path / "store"
    corpus.mkdir()
    server: list[str] = []
    if backend == "server":
        chroma: ChromaServer = request.getfixturevalue("chroma_server")
        server = [chroma.url, f"crash{tmp_path.name[-20:].replace('_', '')}"]
    # Each worker process recovers and checks in, then runs the next sync, which is killed:
    # one process start per round, and every kill is followed by a fresh process.
    worker = _start_worker(store, cache_dir, corpus, server)
    previous = _state_after_recovery(worker)
    before: dict[str, str] = {}
    killed_mid_sync = 0
    kill_points: list[int] = []
    try:
        for round_no in range(rounds):
            _write_corpus(corpus, round_no, rng)
            after = {a.id: a.content_hash for a in load_paths([corpus], 10_000_000).articles}
            assert worker.stdin is not None and worker.stdout is not None
            stop_at = rng.randint(1, FIRST_SYNC_WRITES if round_no == 0 else LATER_SYNC_WRITES)
            worker.stdin.write(f"go {stop_at}\n")
            worker.stdin.flush()
            line = worker.stdout.readline()
            assert line.strip() == f"PAUSED {stop_at}", (
                f"the sync did not stop before its write {stop_at}: {line[:300]}"
            )
            worker.send_signal(signal.SIGKILL)
            rest, _ = worker.communicate(timeout=30)
            killed_mid_sync += not rest.strip()  # nothing printed after the pause
            kill_points.append(stop_at)

            worker = _start_worker(store, cache_dir, corpus, server)
            state = _state_after_recovery(worker)
            _check_consistent(state, after)
            # What the round did not touch is still there, with the very same chunks.
            untouched = {i for i, h in before.items() if after.get(i) == h}
            old_chunks = {c[0] for c in previous["chunks"] if c[1] in untouched}
            new_chunks = {c[0] for c in state["chunks"] if c[1] in untouched}
            assert old_chunks == new_chunks
            assert untouched or round_no == 0
            previous, before = state, after
    finally:
        worker.kill()
        worker.communicate(timeout=30)
    assert killed_mid_sync == rounds  # every kill landed inside a sync
    assert len(set(kill_points)) > rounds // 2, kill_points  # at many different writes
