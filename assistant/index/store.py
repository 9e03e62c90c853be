"""The article store: what the rest of the assistant reads and writes, over three parts
kept in step.

- the chunks and their vectors in Chroma (:mod:`assistant.index.vectors`),
- the catalog of articles and their states (:mod:`assistant.index.catalog`),
- a keyword (BM25) copy of the chunks in SQLite (:mod:`assistant.index.keywords`).

Chroma is the record; the keyword index is derived from it and rebuilt when it is missing
or out of step. Bringing the store in step with files is :mod:`assistant.ingest.sync`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.index.catalog import ArticleInfo, Catalog
from assistant.index.keywords import KeywordHit, KeywordIndex
from assistant.index.vectors import ChunkVectors, open_client
from assistant.ingest.chunking import Chunker
from assistant.stories.backfill import catch_up
from assistant.stories.grouping import StoryGrouper
from assistant.stories.table import StoryTable
from assistant.types import Chunk, Passage

log = logging.getLogger(__name__)

_EMBED_BATCH = 64  # chunks embedded and written per step

KeywordRow = tuple[str, str, str, str, int | None, str]


def keyword_index_path(
    vectorstore_dir: Path, chroma_url: str | None, cache_dir: Path, name: str
) -> Path:
    """Beside the Chroma folder; for a Chroma server, in the local cache, one per server."""
    if chroma_url:
        slug = re.sub(r"[^A-Za-z0-9]+", "_", chroma_url).strip("_")
        return cache_dir / "keyword-index" / f"{slug}-{name}.sqlite3"
    return vectorstore_dir / f"{name}-keywords.sqlite3"


def story_table_path(
    vectorstore_dir: Path, chroma_url: str | None, cache_dir: Path, name: str
) -> Path:
    """Beside the keyword index, one per store."""
    keywords = keyword_index_path(vectorstore_dir, chroma_url, cache_dir, name)
    stem = keywords.stem.removesuffix("-keywords")
    return keywords.with_name(f"{stem}-stories.sqlite3")


def open_store(
    vectorstore_dir: Path,
    chroma_url: str | None,
    cache_dir: Path,
    embeddings: Embeddings,
    embedding_model_id: str,
    chunker: Chunker,
    name: str = "articles",
) -> ArticleStore:
    client = open_client(vectorstore_dir, chroma_url)
    keywords = KeywordIndex(keyword_index_path(vectorstore_dir, chroma_url, cache_dir, name))
    stories = StoryTable(story_table_path(vectorstore_dir, chroma_url, cache_dir, name))
    return ArticleStore(
        client, embeddings, embedding_model_id, chunker, keywords, name=name, stories=stories
    )


def keyword_row(chunk_id: str, text: str, meta: dict[str, Any]) -> KeywordRow:
    day = meta.get("day")
    return (
        chunk_id,
        str(meta.get("article_id", "")),
        str(meta.get("title", "")),
        text,
        int(day) if day is not None else None,
        str(meta.get("source", "")),
    )


class ArticleStore:
    def __init__(
        self,
        client: Any,
        embeddings: Embeddings,
        embedding_model_id: str,
        chunker: Chunker,
        keywords: KeywordIndex,
        name: str = "articles",
        stories: StoryTable | None = None,
    ) -> None:
        self.embeddings = embeddings
        self.chunker = chunker
        self.keywords = keywords
        self.embed_batch = _EMBED_BATCH
        # Held by whatever changes the store (a sync, a removal): one change at a time.
        self.lock = threading.Lock()
        self.vectors = ChunkVectors(client, name, embedding_model_id)
        self.catalog = Catalog(client, name)
        if self.keywords.count() != self.vectors.count():
            self._rebuild_keywords()
        # Which story each article belongs to, grouped at ingest (:mod:`assistant.stories`).
        self.stories = StoryGrouper(stories or StoryTable(None))
        if self.stories.table.count_members() != self.catalog.count():
            catch_up(self.stories, self.catalog, self.vectors)

    def _rebuild_keywords(self) -> None:
        """The keyword index is derived data: rebuilt from Chroma when it is missing or out
        of step (a deleted file, a store moved without it)."""
        log.warning("Rebuilding the keyword index %s from the vector store", self.keywords.path)
        self.keywords.clear()
        self.keywords.add(keyword_row(*chunk) for chunk in self.vectors.all_chunks())

    # ---- reading ------------------------------------------------------------------------

    def count_articles(self) -> int:
        return self.catalog.count()

    def count_chunks(self) -> int:
        return self.vectors.count()

    def list_articles(self) -> list[ArticleInfo]:
        return self.catalog.list_articles()

    def search(
        self, query_vector: Sequence[float], k: int, where: dict[str, Any] | None = None
    ) -> list[Passage]:
        """Nearest chunks by cosine similarity, best first."""
        return self.vectors.search(query_vector, k, where)

    def keyword_search(
        self,
        text: str,
        k: int,
        since_day: int | None = None,
        until_day: int | None = None,
        source: str | None = None,
        article_ids: Sequence[str] | None = None,
    ) -> list[KeywordHit]:
        """Chunks by BM25 over their words, best first."""
        return self.keywords.search(text, k, since_day, until_day, source, article_ids)

    def passages_by_id(
        self, chunk_ids: Sequence[str], query_vector: Sequence[float]
    ) -> list[Passage]:
        """Chunks by id, scored by cosine similarity to the query (for keyword-only hits)."""
        return self.vectors.passages_by_id(chunk_ids, query_vector)

    def article_passages(self, article_id: str) -> list[Passage]:
        """Every chunk of one article, in reading order."""
        return self.vectors.article_passages(article_id)

    # ---- writing (callers hold ``lock``) -------------------------------------------------

    def write_chunks(
        self,
        chunks: Sequence[Chunk],
        vectors: list[list[float]],
        metadatas: list[dict[str, Any]],
    ) -> None:
        """Chunks into Chroma, then their keyword copy."""
        self.vectors.upsert(chunks, vectors, metadatas)
        self.keywords.add(
            keyword_row(c.id, c.text, meta) for c, meta in zip(chunks, metadatas, strict=True)
        )

    def delete_chunks(self, article_ids: Sequence[str]) -> None:
        self.vectors.delete_articles(article_ids)
        self.keywords.delete_articles(article_ids)

    def delete_articles(self, article_ids: Iterable[str]) -> None:
        ids = list(article_ids)
        # Chunks first: a catalog entry without chunks is redone, chunks without an entry
        # would be orphans.
        self.delete_chunks(ids)
        self.catalog.delete(ids)
        self.stories.remove(ids)

    def remove_article(self, article_id: str) -> bool:
        with self.lock:
            if not self.catalog.contains(article_id):
                return False
            self.delete_articles([article_id])
            return True
