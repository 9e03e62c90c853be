"""The chunks and their vectors in Chroma: one collection, ``<name>-chunks``, searched by
cosine similarity, each chunk carrying what a citation needs.

Chroma runs on a local folder or as a server; the same collection code works on both."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np

from assistant.errors import ConfigError
from assistant.index.chroma_server import connect
from assistant.text import day_number
from assistant.types import Article, Chunk, Passage

_DELETE_BATCH = 500
_READ_PAGE = 5000


def open_client(vectorstore_dir: Path, chroma_url: str | None, timeout: float = 30.0) -> Any:
    """A Chroma client: a server when a URL is given, else a folder on disk."""
    if chroma_url:
        return connect(chroma_url, timeout)
    vectorstore_dir.mkdir(parents=True, exist_ok=True)
    settings = chromadb.Settings(anonymized_telemetry=False)
    return chromadb.PersistentClient(path=str(vectorstore_dir), settings=settings)


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "article_id": article.id,
        "index": chunk.index,
        "title": article.title,
        "published": article.published_iso,
        "source": article.source,
        "url": article.url,
    }
    if article.published:
        # A number, so Chroma can filter date ranges with $gte / $lte.
        meta["day"] = day_number(article.published)
    return meta


class ChunkVectors:
    """The chunks collection. Its vectors are only comparable with one embedding model, so
    the collection records the model and refuses another."""

    def __init__(self, client: Any, name: str, embedding_model_id: str) -> None:
        self.collection = client.get_or_create_collection(
            f"{name}-chunks",
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": embedding_model_id},
        )
        stored_model = (self.collection.metadata or {}).get("embedding_model")
        if stored_model != embedding_model_id:
            raise ConfigError(
                f"The store's vectors were made with '{stored_model}', not with "
                f"'{embedding_model_id}'. Point ASSISTANT_VECTORSTORE_DIR at a new folder, or "
                "use another ASSISTANT_COLLECTION (on ASSISTANT_CHROMA_URL's server), and "
                "ingest again: the stored vectors are left as they are."
            )

    def count(self) -> int:
        return int(self.collection.count())

    def search(
        self, query_vector: Sequence[float], k: int, where: dict[str, Any] | None = None
    ) -> list[Passage]:
        """Nearest chunks by cosine similarity, best first."""
        if self.collection.count() == 0:
            return []
        got = self.collection.query(
            query_embeddings=[list(query_vector)],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            _passage(cid, doc, meta, 1.0 - float(dist))
            for cid, doc, meta, dist in zip(
                got["ids"][0],
                (got["documents"] or [[]])[0],
                (got["metadatas"] or [[]])[0],
                (got["distances"] or [[]])[0],
                strict=True,
            )
        ]

    def passages_by_id(
        self, chunk_ids: Sequence[str], query_vector: Sequence[float]
    ) -> list[Passage]:
        """Chunks by id, scored by cosine similarity to the query (for keyword-only hits)."""
        if not chunk_ids:
            return []
        got = self.collection.get(
            ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"]
        )
        query = np.asarray(query_vector, dtype=np.float32)
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(len(got["ids"]), -1)
        norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(query)
        scores = (vectors @ query) / np.clip(norms, 1e-12, None)
        return [
            _passage(cid, doc, meta, float(score))
            for cid, doc, meta, score in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], scores, strict=True
            )
        ]

    def article_passages(self, article_id: str) -> list[Passage]:
        """Every chunk of one article, in reading order."""
        got = self.collection.get(
            where={"article_id": article_id}, include=["documents", "metadatas"]
        )
        passages = [
            _passage(cid, doc, meta, 0.0)
            for cid, doc, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
        ]
        return sorted(passages, key=lambda p: p.index)

    def lead_chunks(self, article_ids: Sequence[str]) -> Iterator[tuple[dict[str, Any], str, Any]]:
        """(metadata, text, vector) of each article's first chunk, its lead."""
        for start in range(0, len(article_ids), _DELETE_BATCH):
            batch = list(article_ids[start : start + _DELETE_BATCH])
            got = self.collection.get(
                where={"$and": [{"article_id": {"$in": batch}}, {"index": 0}]},
                include=["documents", "metadatas", "embeddings"],
            )
            yield from zip(
                [dict(m or {}) for m in got["metadatas"] or []],
                [d or "" for d in got["documents"] or []],
                list(got["embeddings"] if got["embeddings"] is not None else []),
                strict=True,
            )

    def all_chunks(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every chunk, page by page."""
        offset = 0
        while True:
            got = self.collection.get(
                include=["documents", "metadatas"], limit=_READ_PAGE, offset=offset
            )
            if not got["ids"]:
                return
            for cid, doc, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            ):
                yield cid, doc or "", dict(meta or {})
            offset += _READ_PAGE

    def chunks_of(self, article_ids: Sequence[str]) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """(id, text, metadata) of every chunk of these articles."""
        if not article_ids:
            return
        got = self.collection.get(
            where={"article_id": {"$in": list(article_ids)}}, include=["documents", "metadatas"]
        )
        for cid, doc, meta in zip(
            got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
        ):
            yield cid, doc or "", dict(meta or {})

    def upsert(
        self,
        chunks: Sequence[Chunk],
        vectors: list[list[float]],
        metadatas: list[dict[str, Any]],
    ) -> None:
        self.collection.upsert(
            ids=[c.id for c in chunks],
            embeddings=vectors,
            documents=[c.text for c in chunks],
            metadatas=metadatas,
        )

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        for start in range(0, len(article_ids), _DELETE_BATCH):
            batch = list(article_ids[start : start + _DELETE_BATCH])
            self.collection.delete(where={"article_id": {"$in": batch}})


def _passage(chunk_id: str, text: str | None, meta: Any, score: float) -> Passage:
    meta = meta or {}
    return Passage(
        chunk_id=chunk_id,
        article_id=str(meta.get("article_id", "")),
        index=int(meta.get("index", 0)),
        text=text or "",
        title=str(meta.get("title", "")),
        published=str(meta.get("published", "")),
        source=str(meta.get("source", "")),
        url=str(meta.get("url", "")),
        score=score,
    )
