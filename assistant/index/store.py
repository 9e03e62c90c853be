"""The article store: what the rest of the assistant reads and writes, over three parts
kept in step.

- the chunks and their vectors in Chroma (:mod:`assistant.index.vectors`),
- the catalog of articles and their states (:mod:`assistant.index.catalog`),
- a keyword (BM25) copy of the chunks in SQLite (:mod:`assistant.index.keywords`).

Chroma is the record; the keyword index is derived from it and rebuilt when it is missing
or out of step. Bringing the store in step with files is :mod:`assistant.ingest.sync`.

Several processes may share one store on a Chroma server (app replicas, ingest runs). A
change to the store is made under the writer lease (:mod:`assistant.index.lease`), one
writer at a time, and ends by changing the catalog's change token. Before a keyword search
each process reads that token (at most once a second, one small request) and, when it has
changed, brings its own keyword index up to date article by article from the catalog's
versions: only what another process changed is read again.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.index.catalog import ArticleInfo, Catalog
from assistant.index.keywords import KeywordHit, KeywordIndex
from assistant.index.lease import WriterLease
from assistant.index.vectors import ChunkVectors, open_client
from assistant.ingest.chunking import Chunker
from assistant.stories.backfill import catch_up
from assistant.stories.grouping import StoryGrouper
from assistant.stories.table import StoryTable
from assistant.types import Chunk, Passage

log = logging.getLogger(__name__)

_EMBED_BATCH = 64  # chunks embedded and written per step
# How often a keyword search looks whether another process changed the store.
CHANGE_CHECK_SECONDS = 1.0

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
    chroma_timeout: float = 30.0,
) -> ArticleStore:
    client = open_client(vectorstore_dir, chroma_url, chroma_timeout)
    keywords = KeywordIndex(keyword_index_path(vectorstore_dir, chroma_url, cache_dir, name))
    location = (
        f"{chroma_url} (ASSISTANT_CHROMA_URL)"
        if chroma_url
        else f"{vectorstore_dir} (ASSISTANT_VECTORSTORE_DIR)"
    )
    stories = StoryTable(story_table_path(vectorstore_dir, chroma_url, cache_dir, name))
    return ArticleStore(
        client,
        embeddings,
        embedding_model_id,
        chunker,
        keywords,
        name=name,
        stories=stories,
        location=location,
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
        location: str = "the store",
    ) -> None:
        self.embeddings = embeddings
        self.chunker = chunker
        self.keywords = keywords
        self.embed_batch = _EMBED_BATCH
        # Held by whatever changes the store (a sync, a removal): one change at a time in
        # this process; the writer lease makes it one at a time across processes.
        self.lock = threading.Lock()
        self.vectors = ChunkVectors(client, name, embedding_model_id)
        self.catalog = Catalog(client, name)
        self.lease = WriterLease(client, name, location)
        self._catching_up = threading.Lock()
        self.articles_caught_up = 0  # articles read again because another process changed them
        self._seen_token = self.catalog.change_token()
        self._checked_at = time.monotonic()
        if self.vectors.count() and not (self.keywords.versions() and self.keywords.consistent()):
            self._rebuild_keywords()  # a new replica, or an index of an older layout
        else:
            self.catch_up(force=True)
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
        # The catalog is read first: an article changed meanwhile shows a newer version
        # than the one recorded here, and the next catch-up reads it again.
        ready = {i: h for i, (state, h) in self.catalog.versions().items() if state == "ready"}
        self.keywords.clear()
        batch: list[KeywordRow] = []
        for chunk in self.vectors.all_chunks():
            batch.append(keyword_row(*chunk))
            if len(batch) >= 5000:
                self.keywords.add(batch)
                batch = []
        self.keywords.add(batch)
        held = self.keywords.versions()
        self.keywords.mark_versions({i: h for i, h in ready.items() if i in held})

    # ---- keeping up with other processes -------------------------------------------------

    def catch_up(self, force: bool = False) -> int:
        """Bring the keyword index up to date with changes other processes made; the
        number of articles read again. Cheap when nothing changed: one token read, at most
        once per ``CHANGE_CHECK_SECONDS``."""
        now = time.monotonic()
        if not force and now - self._checked_at < CHANGE_CHECK_SECONDS:
            return 0
        if not self._catching_up.acquire(blocking=False):
            return 0  # another thread is at it
        try:
            self._checked_at = now
            token = self.catalog.change_token()
            if token == self._seen_token and not force:
                return 0
            catalog = self.catalog.versions()
            held = self.keywords.versions()
            gone = [i for i in held if i not in catalog]
            # Pending articles are being written by their ingest; they are read once ready.
            stale = [
                i for i, (state, h) in catalog.items() if state == "ready" and held.get(i) != h
            ]
            if gone:
                self.keywords.delete_articles(gone)
            for start in range(0, len(stale), 200):
                batch = stale[start : start + 200]
                rows = [keyword_row(*chunk) for chunk in self.vectors.chunks_of(batch)]
                self.keywords.replace_articles(batch, rows, {i: catalog[i][1] for i in batch})
            if gone or stale:
                log.info(
                    "Keyword index: %d article(s) read again, %d removed", len(stale), len(gone)
                )
            self._seen_token = token
            self.articles_caught_up += len(stale) + len(gone)
            return len(stale) + len(gone)
        finally:
            self._catching_up.release()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Held by whatever changes the store: this process's lock and the writer lease."""
        with self.lock, self.lease.held():
            yield

    def _changed(self) -> None:
        before, token = self.catalog.new_change_token()
        # Writers hold the lease, so nobody else changed the store since ``before``: when
        # this process had seen ``before``, it has seen everything up to ``token`` too.
        if before == self._seen_token:
            self._seen_token = token

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
        self.catch_up()
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

    def put_catalog(
        self, ids: Sequence[str], titles: Sequence[str], metadatas: Sequence[dict[str, Any]]
    ) -> None:
        """Catalog entries; for ready ones, the keyword index records that it holds them."""
        self.catalog.put(ids, titles, metadatas)
        ready = {
            i: str(m["hash"])
            for i, m in zip(ids, metadatas, strict=True)
            if m.get("state") == "ready"
        }
        if ready:
            self.keywords.mark_versions(ready)
            self._changed()

    def delete_articles(self, article_ids: Iterable[str]) -> None:
        ids = list(article_ids)
        # Chunks first: a catalog entry without chunks is redone, chunks without an entry
        # would be orphans.
        self.delete_chunks(ids)
        self.catalog.delete(ids)
        self.stories.remove(ids)
        self._changed()

    def remove_article(self, article_id: str) -> bool:
        with self.writing():
            if not self.catalog.contains(article_id):
                return False
            self.delete_articles([article_id])
            return True
