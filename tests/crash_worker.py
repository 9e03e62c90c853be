"""Run by test_crash_safety in a subprocess: ingest a folder into a store (a folder, or a
collection on a Chroma server) and print the store's full state as JSON for the test to
check.

The embeddings are a fast hash, not the model: what is under test is the store's writes
(Chroma, catalog, keyword index) being cut at chosen points, and a cheap embedding keeps
each sync short.

Each sync the test kills stops just before its N-th write (N chosen by the test), says so,
and waits to be killed: the kill lands inside the sync, between two of its writes, however
fast or slow the machine is.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
import threading
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.index.keywords import KeywordIndex
from assistant.index.store import ArticleStore, keyword_index_path
from assistant.index.vectors import open_client
from assistant.ingest.chunking import Chunker
from assistant.ingest.sync import ingest_paths
from assistant.tokens import install_offline_encoding

# Every method by which a sync changes what is stored: the Chroma collections of chunks and
# of the catalog, and the keyword index.
CHROMA_WRITES = ("add", "upsert", "update", "delete")
KEYWORD_WRITES = ("add", "delete_articles", "clear")


class HashEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [b / 255 + 0.01 for b in digest[:16]]


class WriteCounter:
    """Counts the store's writes; once armed with N, the N-th write announces itself and
    blocks for good instead of running."""

    def __init__(self) -> None:
        self.count = 0
        self.stop_at: int | None = None
        self._lock = threading.Lock()

    def before_write(self) -> None:
        with self._lock:
            self.count += 1
            if self.count != self.stop_at:
                return
        print(f"PAUSED {self.count}", flush=True)
        threading.Event().wait()  # until the test's SIGKILL


class CountedWrites:
    """Passes everything through to ``target``; its write methods tell ``counter`` first."""

    def __init__(self, target: Any, writes: tuple[str, ...], counter: WriteCounter) -> None:
        self._target, self._writes, self._counter = target, writes, counter

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name not in self._writes:
            return attribute

        def write(*args: Any, **kwargs: Any) -> Any:
            self._counter.before_write()
            return attribute(*args, **kwargs)

        return write


def open_test_store(
    store_dir: Path, cache_dir: Path, chroma_url: str | None = None, name: str = "articles"
) -> ArticleStore:
    install_offline_encoding(cache_dir)
    client = open_client(store_dir, chroma_url)
    keywords = KeywordIndex(keyword_index_path(store_dir, chroma_url, cache_dir, name))
    store = ArticleStore(client, HashEmbeddings(), "hash-16", Chunker(120, 10), keywords, name=name)
    store.embed_batch = 4  # many small write steps: many places for a kill to land
    return store


def count_writes(store: ArticleStore) -> WriteCounter:
    counter = WriteCounter()
    for owner, name, writes in (
        (store.vectors, "collection", CHROMA_WRITES),
        (store.catalog, "collection", CHROMA_WRITES),
        (store, "keywords", KEYWORD_WRITES),
    ):
        setattr(owner, name, CountedWrites(getattr(owner, name), writes, counter))
    return counter


def dump(store: ArticleStore, keywords_path: Path) -> dict[str, object]:
    catalog = store.catalog.collection.get(include=["metadatas"])
    chunks = store.vectors.collection.get(include=["metadatas"])
    db = sqlite3.connect(str(keywords_path))
    keyword_ids = [row[0] for row in db.execute("SELECT chunk_id FROM chunks")]
    db.close()
    return {
        "catalog": {
            i: {"state": m["state"], "hash": m["hash"], "chunks": m["chunks"]}
            for i, m in zip(catalog["ids"], catalog["metadatas"] or [], strict=True)
        },
        "chunks": [
            [i, m["article_id"], m["index"]]
            for i, m in zip(chunks["ids"], chunks["metadatas"] or [], strict=True)
        ],
        "keyword_ids": keyword_ids,
    }


def main() -> None:
    """Finish whatever the last (killed) run left and print the state; then, for each line
    ``go N`` on stdin, run one more sync that stops before its N-th write (the one the test
    kills). A sync with fewer writes than N ends and prints the state and its write count."""
    store_dir, cache_dir, corpus = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    # On a Chroma server: its URL and a collection name follow.
    chroma_url, name = (sys.argv[4], sys.argv[5]) if len(sys.argv) > 5 else (None, "articles")
    store = open_test_store(store_dir, cache_dir, chroma_url, name)
    keywords_path = store.keywords.path
    counter = count_writes(store)

    def sync_and_report() -> None:
        counter.count = 0
        summary = ingest_paths(store, [corpus], 10).summary()
        state = dump(store, keywords_path)
        print(json.dumps({"report": summary, "writes": counter.count, "state": state}), flush=True)

    sync_and_report()
    for line in sys.stdin:
        counter.stop_at = int(line.split()[1])
        sync_and_report()


if __name__ == "__main__":
    main()
