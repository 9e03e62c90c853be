"""The catalog: one entry per article in a Chroma collection, ``<name>-catalog``, with its
content hash, the file it came from and its state.

An article is ``pending`` while its chunks are being written and ``ready`` after, so a
store that stopped half-way knows what to redo; only ready articles are listed. A second
collection (rather than a table beside it) keeps the store whole on a Chroma server too.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Chroma limits how many records one call may carry; stay well below it.
_WRITE_BATCH = 2000
# Catalog entries need a vector; a constant one is never searched.
_CATALOG_VECTOR = [1.0]


@dataclass(frozen=True)
class ArticleInfo:
    id: str
    title: str
    published: str
    source: str
    url: str
    chunks: int
    origin: str
    # The first stored article this one nearly repeats (the same wire story), or "".
    duplicate_of: str = ""


class Catalog:
    def __init__(self, client: Any, name: str) -> None:
        self.client = client
        self.name = f"{name}-catalog"
        self.collection = client.get_or_create_collection(self.name, embedding_function=None)

    # ---- the change token: how replicas notice that another one changed the store ----

    def change_token(self) -> str:
        """A value that changes whenever an article is made ready or removed; one cheap
        read of the collection's metadata."""
        metadata = self.client.get_collection(self.name, embedding_function=None).metadata
        return str((metadata or {}).get("changed", ""))

    def new_change_token(self) -> tuple[str, str]:
        """Record a change; (the token before, the new one)."""
        current = self.client.get_collection(self.name, embedding_function=None)
        before = dict(current.metadata or {})
        token = uuid.uuid4().hex
        current.modify(metadata={**before, "changed": token})
        return str(before.get("changed", "")), token

    def versions(self) -> dict[str, tuple[str, str]]:
        """Article id -> (state, content hash) of every entry."""
        return {
            i: (str(m.get("state", "")), str(m.get("hash", ""))) for i, m in self.entries().items()
        }

    def count(self) -> int:
        return int(self.collection.count())

    def entries(self) -> dict[str, dict[str, Any]]:
        """Every entry's metadata by article id, whatever its state."""
        got = self.collection.get(include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)}

    def contains(self, article_id: str) -> bool:
        return bool(self.collection.get(ids=[article_id], include=[])["ids"])

    def list_articles(self) -> list[ArticleInfo]:
        """The ready articles, newest first."""
        infos = [
            ArticleInfo(
                id=i,
                title=str(m.get("title", "")),
                published=str(m.get("published", "")),
                source=str(m.get("source", "")),
                url=str(m.get("url", "")),
                chunks=int(m.get("chunks", 0)),
                origin=str(m.get("origin", "")),
                duplicate_of=str(m.get("duplicate_of", "")),
            )
            for i, m in self.entries().items()
            if m.get("state") == "ready"
        ]
        return sorted(infos, key=lambda a: (a.published, a.title), reverse=True)

    def put(self, ids: Sequence[str], titles: Sequence[str], metadatas: Sequence[dict]) -> None:
        for start in range(0, len(ids), _WRITE_BATCH):
            end = start + _WRITE_BATCH
            self.collection.upsert(
                ids=list(ids[start:end]),
                embeddings=[_CATALOG_VECTOR] * len(ids[start:end]),
                documents=list(titles[start:end]),
                metadatas=list(metadatas[start:end]),
            )

    def delete(self, article_ids: Sequence[str]) -> None:
        for start in range(0, len(article_ids), _WRITE_BATCH):
            self.collection.delete(ids=list(article_ids[start : start + _WRITE_BATCH]))
