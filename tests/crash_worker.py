"""Run by test_crash_safety in a subprocess: ingest a folder into a store and print the
store's full state as JSON for the test to check.

The embeddings are a fast hash, not the model: what is under test is the store's writes
(Chroma, catalog, keyword index) being cut at random points, and a cheap embedding lets
the kills land among many more writes per second.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from pathlib import Path

from langchain_core.embeddings import Embeddings

from assistant.index.keywords import KeywordIndex
from assistant.index.store import ArticleStore, keyword_index_path
from assistant.index.vectors import open_client
from assistant.ingest.chunking import Chunker
from assistant.ingest.sync import ingest_paths
from assistant.tokens import install_offline_encoding


class HashEmbeddings(Embeddings):
    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_query(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        digest = hashlib.sha256(text.encode()).digest()
        return [b / 255 + 0.01 for b in digest[:16]]


def open_test_store(store_dir: Path, cache_dir: Path) -> ArticleStore:
    install_offline_encoding(cache_dir)
    client = open_client(store_dir, None)
    keywords = KeywordIndex(keyword_index_path(store_dir, None, cache_dir, "articles"))
    store = ArticleStore(client, HashEmbeddings(), "hash-16", Chunker(120, 10), keywords)
    store.embed_batch = 4  # many small write steps: many places for a kill to land
    return store


def dump(store: ArticleStore) -> dict[str, object]:
    catalog = store.catalog.collection.get(include=["metadatas"])
    chunks = store.vectors.collection.get(include=["metadatas"])
    db = sqlite3.connect(str(store.keywords.path))
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
    """Finish whatever the last (killed) run left, print the state; then, for each line on
    stdin, announce and run one more sync (the one the test kills), printing the state."""
    store_dir, cache_dir, corpus = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    store = open_test_store(store_dir, cache_dir)
    report = ingest_paths(store, [corpus], 10)
    print(json.dumps({"report": report.summary(), "state": dump(store)}), flush=True)
    for _ in sys.stdin:
        print("SYNCING", flush=True)
        report = ingest_paths(store, [corpus], 10)
        print(json.dumps({"report": report.summary(), "state": dump(store)}), flush=True)


if __name__ == "__main__":
    main()
