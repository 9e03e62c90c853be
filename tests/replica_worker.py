"""Run by test_replicas in a subprocess: one app replica (its own cache folder, so its own
keyword index) on a shared Chroma server, driven by lines on stdin, answering JSON lines.

- ``ingest PATH``: ingest a file or folder; the report.
- ``find TEXT``: the articles a keyword search and a hybrid retrieval find, and how many
  articles this replica has read again so far because another one changed them.
- ``state``: the whole store as this replica sees it (catalog, chunks, keyword index).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import sys
from pathlib import Path

from assistant.app.compose import build_services
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths


def keyword_ids(path: Path) -> list[str]:
    db = sqlite3.connect(str(path))
    try:
        return [row[0] for row in db.execute("SELECT chunk_id FROM chunks")]
    finally:
        db.close()


def main() -> None:
    chroma_url, collection, cache_dir = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        chroma_url=chroma_url,
        collection=collection,
        cache_dir=cache_dir,
        vectorstore_dir=cache_dir / "unused",
    )
    services = build_services(settings)
    store = services.store
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "ingest":
            report = ingest_paths(store, [Path(argument)], 50)
            print(json.dumps({"report": report.summary()}), flush=True)
        elif command == "find":
            keyword = [hit.article_id for hit in store.keyword_search(argument, 10)]
            found = [p.article_id for p in services.retriever.retrieve(argument)]
            reply = {"keyword": keyword, "retrieved": found, "read_again": store.articles_caught_up}
            print(json.dumps(reply), flush=True)
        elif command == "state":
            chunks = store.vectors.collection.get(include=["documents", "metadatas"])
            catalog = store.catalog.collection.get(include=["metadatas"])
            state = {
                "catalog": {
                    i: {"state": m["state"], "chunks": m["chunks"], "origin": m["origin"]}
                    for i, m in zip(catalog["ids"], catalog["metadatas"] or [], strict=True)
                },
                "chunks": [
                    [i, m["article_id"], m["index"], d]
                    for i, m, d in zip(
                        chunks["ids"],
                        chunks["metadatas"] or [],
                        chunks["documents"] or [],
                        strict=True,
                    )
                ],
                "keyword_ids": keyword_ids(store.keywords.path),
            }
            print(json.dumps(state), flush=True)


if __name__ == "__main__":
    main()
