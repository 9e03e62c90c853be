"""The article store: chunks and their vectors in Chroma, plus a catalog of articles.

Two Chroma collections, so the same code works on a local folder and on a Chroma server:
``<name>-chunks`` holds the passages with their vectors and article metadata, and
``<name>-catalog`` holds one entry per article (its content hash, file of origin and state).
The catalog makes re-ingesting cheap (an unchanged article is recognised by its hash without
touching its chunks) and keeps the store consistent if ingestion stops half-way: an article
is marked ``pending`` before its chunks are written and ``ready`` after, and a pending
article is redone by the next sync.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import chromadb
import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.errors import ConfigError, LoadError
from assistant.index.keywords import KeywordIndex
from assistant.ingest import duplicates as near_duplicates
from assistant.ingest.chunking import Chunker
from assistant.ingest.duplicates import DuplicateFinder
from assistant.ingest.readers.base import LoadResult
from assistant.text import day_number
from assistant.types import Article, Chunk, Passage

log = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]

_EMBED_BATCH = 64  # chunks embedded and written per step
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


@dataclass
class SyncReport:
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    cancelled: bool = False
    problems: list[LoadError] = field(default_factory=list)
    near_duplicates: int = 0  # changed articles that repeat one already stored

    def summary(self) -> str:
        text = (
            f"{self.added} added, {self.updated} updated, {self.removed} removed, "
            f"{self.unchanged} unchanged; {self.chunks_embedded} chunks embedded "
            f"in {self.seconds:.1f} s"
        )
        if self.near_duplicates:
            text += f"; {self.near_duplicates} near-duplicate(s) of stored articles"
        if self.problems:
            text += f"; {len(self.problems)} problem(s)"
        if self.cancelled:
            text += " (cancelled: the rest is done on the next run)"
        return text


def open_client(vectorstore_dir: Path, chroma_url: str | None) -> Any:
    """A Chroma client: a server when a URL is given, else a folder on disk."""
    settings = chromadb.Settings(anonymized_telemetry=False)
    if chroma_url:
        from urllib.parse import urlparse

        url = urlparse(chroma_url)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    vectorstore_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(vectorstore_dir), settings=settings)


def keyword_index_path(
    vectorstore_dir: Path, chroma_url: str | None, cache_dir: Path, name: str
) -> Path:
    """Beside the Chroma folder; for a Chroma server, in the local cache, one per server."""
    if chroma_url:
        slug = re.sub(r"[^A-Za-z0-9]+", "_", chroma_url).strip("_")
        return cache_dir / "keyword-index" / f"{slug}-{name}.sqlite3"
    return vectorstore_dir / f"{name}-keywords.sqlite3"


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
    return ArticleStore(client, embeddings, embedding_model_id, chunker, keywords, name=name)


def _under_any(origin: str, roots: Sequence[Path]) -> bool:
    path = Path(origin)
    return any(path == root or root in path.parents for root in roots)


def _batched(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ArticleStore:
    def __init__(
        self,
        client: Any,
        embeddings: Embeddings,
        embedding_model_id: str,
        chunker: Chunker,
        keywords: KeywordIndex,
        name: str = "articles",
    ) -> None:
        self.embeddings = embeddings
        self.chunker = chunker
        self.keywords = keywords
        self.embed_batch = _EMBED_BATCH
        self._lock = threading.Lock()
        self.chunks = client.get_or_create_collection(
            f"{name}-chunks",
            embedding_function=None,
            configuration={"hnsw": {"space": "cosine"}},
            metadata={"embedding_model": embedding_model_id},
        )
        stored_model = (self.chunks.metadata or {}).get("embedding_model")
        if stored_model != embedding_model_id:
            raise ConfigError(
                f"The store's vectors were made with '{stored_model}', not with "
                f"'{embedding_model_id}'. Point ASSISTANT_VECTORSTORE_DIR at a new folder "
                "(or use another ASSISTANT_COLLECTION) and ingest again."
            )
        self.catalog = client.get_or_create_collection(f"{name}-catalog", embedding_function=None)
        # Per sync: each changed article's MinHash signature and the article it repeats.
        self._near_duplicates: dict[str, tuple[str, str]] = {}
        if self.keywords.count() != self.chunks.count():
            self._rebuild_keywords()

    def _rebuild_keywords(self) -> None:
        """The keyword index is derived data: rebuilt from Chroma when it is missing or out
        of step (a deleted file, a store moved without it)."""
        log.warning("Rebuilding the keyword index %s from the vector store", self.keywords.path)
        self.keywords.clear()
        offset, page = 0, 5000
        while True:
            got = self.chunks.get(include=["documents", "metadatas"], limit=page, offset=offset)
            if not got["ids"]:
                break
            self.keywords.add(
                _keyword_row(cid, doc or "", meta or {})
                for cid, doc, meta in zip(
                    got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
                )
            )
            offset += page

    # ---- reading ------------------------------------------------------------------------

    def count_articles(self) -> int:
        return int(self.catalog.count())

    def count_chunks(self) -> int:
        return int(self.chunks.count())

    def _catalog_entries(self) -> dict[str, dict[str, Any]]:
        got = self.catalog.get(include=["metadatas"])
        return {i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)}

    def list_articles(self) -> list[ArticleInfo]:
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
            for i, m in self._catalog_entries().items()
            if m.get("state") == "ready"
        ]
        return sorted(infos, key=lambda a: (a.published, a.title), reverse=True)

    def search(
        self, query_vector: Sequence[float], k: int, where: dict[str, Any] | None = None
    ) -> list[Passage]:
        """Nearest chunks by cosine similarity, best first."""
        if self.chunks.count() == 0:
            return []
        got = self.chunks.query(
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
        got = self.chunks.get(ids=list(chunk_ids), include=["documents", "metadatas", "embeddings"])
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
        got = self.chunks.get(where={"article_id": article_id}, include=["documents", "metadatas"])
        passages = [
            _passage(cid, doc, meta, 0.0)
            for cid, doc, meta in zip(
                got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True
            )
        ]
        return sorted(passages, key=lambda p: p.index)

    # ---- writing ------------------------------------------------------------------------

    def sync(
        self,
        loaded: LoadResult,
        roots: Sequence[Path],
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> SyncReport:
        """Make the store hold exactly the loaded articles for the files under ``roots``.

        Unchanged articles are skipped, changed ones replaced, and articles whose file
        under a root is gone are removed. Articles of a file that had a problem are kept,
        so a file that became unreadable never costs what was stored from it.
        """
        with self._lock:
            return self._sync(loaded, [r.resolve() for r in roots], progress, cancel)

    def _sync(
        self,
        loaded: LoadResult,
        roots: Sequence[Path],
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> SyncReport:
        started = time.perf_counter()
        report = SyncReport(problems=list(loaded.problems))
        catalog = self._catalog_entries()

        latest: dict[str, Article] = {}
        for article in loaded.articles:
            if article.id in latest and latest[article.id].origin != article.origin:
                report.problems.append(
                    LoadError(article.origin, f"repeats the article id '{article.id}'; kept last")
                )
            latest[article.id] = article

        changed: list[Article] = []
        for article in latest.values():
            entry = catalog.get(article.id)
            if entry and entry.get("state") == "ready" and entry.get("hash") == self._hash(article):
                report.unchanged += 1
            else:
                changed.append(article)
                if entry:
                    report.updated += 1
                else:
                    report.added += 1

        # A file with problems keeps what it had; a feed keeps entries that scrolled out.
        kept_origins = loaded.failed_origins | loaded.partial_origins
        gone = [
            article_id
            for article_id, entry in catalog.items()
            if article_id not in latest
            and _under_any(str(entry.get("origin", "")), roots)
            and str(entry.get("origin", "")) not in kept_origins
        ]
        if gone:
            self._delete_articles(gone)
            report.removed = len(gone)

        if changed:
            self._near_duplicates = _find_near_duplicates(changed, catalog)
            report.near_duplicates = sum(1 for _, dup in self._near_duplicates.values() if dup)
            self._mark_pending(changed)
            self._delete_chunks(
                [a.id for a in changed if a.id in catalog]  # new articles have no chunks
            )
            report.chunks_embedded, report.cancelled = self._index(changed, progress, cancel)
        report.seconds = time.perf_counter() - started
        return report

    def _hash(self, article: Article) -> str:
        return f"{article.content_hash}:{self.chunker.signature}"

    def _catalog_metadata(self, article: Article, state: str, chunks: int) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "title": article.title,
            "published": article.published_iso,
            "source": article.source,
            "url": article.url,
            "author": article.author,
            "origin": article.origin,
            "hash": self._hash(article),
            "state": state,
            "chunks": chunks,
        }
        if article.published:
            meta["day"] = day_number(article.published)
        if article.id in self._near_duplicates:
            meta["minhash"], meta["duplicate_of"] = self._near_duplicates[article.id]
        return meta

    def _mark_pending(self, articles: Sequence[Article]) -> None:
        for batch in _batched(articles, _WRITE_BATCH):
            self.catalog.upsert(
                ids=[a.id for a in batch],
                embeddings=[_CATALOG_VECTOR] * len(batch),
                documents=[a.title for a in batch],
                metadatas=[self._catalog_metadata(a, "pending", 0) for a in batch],
            )

    def _delete_chunks(self, article_ids: Sequence[str]) -> None:
        for batch in _batched(article_ids, 500):
            self.chunks.delete(where={"article_id": {"$in": list(batch)}})
        self.keywords.delete_articles(article_ids)

    def _delete_articles(self, article_ids: Sequence[str]) -> None:
        # Chunks first: a catalog entry without chunks is redone, chunks without an entry
        # would be orphans.
        self._delete_chunks(article_ids)
        for batch in _batched(article_ids, _WRITE_BATCH):
            self.catalog.delete(ids=list(batch))

    def _index(
        self,
        articles: Sequence[Article],
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> tuple[int, bool]:
        """Chunk, embed and store; an article turns ``ready`` once all its chunks are in."""
        by_id = {a.id: a for a in articles}
        pieces: list[Chunk] = [c for a in articles for c in self.chunker.split(a)]
        remaining = {a.id: 0 for a in articles}
        for piece in pieces:
            remaining[piece.article_id] += 1
        total = dict(remaining)
        # Articles with no text after cleaning are ready at once.
        self._mark_ready([by_id[k] for k, v in remaining.items() if v == 0], total)

        if progress:
            progress(0, len(pieces))
        # Writing a batch overlaps with embedding the next one (the model and Chroma both
        # release the GIL). One writer, one write in flight: batches land in order, and an
        # article is marked ready only after all its chunks are written.
        done = 0
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending: Future[None] | None = None
            for batch in _batched(pieces, self.embed_batch):
                if cancel is not None and cancel.is_set():
                    break
                vectors = self.embeddings.embed_documents([c.text for c in batch])
                if pending is not None:
                    pending.result()  # surface a failed write before going on
                finished = []
                for piece in batch:
                    remaining[piece.article_id] -= 1
                    if remaining[piece.article_id] == 0:
                        finished.append(by_id[piece.article_id])
                pending = writer.submit(self._write_batch, batch, vectors, by_id, finished, total)
                done += len(batch)
                if progress:
                    progress(done, len(pieces))
            if pending is not None:
                pending.result()
        return done, done < len(pieces)

    def _write_batch(
        self,
        batch: Sequence[Chunk],
        vectors: list[list[float]],
        by_id: dict[str, Article],
        finished: Sequence[Article],
        chunk_counts: dict[str, int],
    ) -> None:
        metadatas = [_chunk_metadata(by_id[c.article_id], c) for c in batch]
        self.chunks.upsert(
            ids=[c.id for c in batch],
            embeddings=vectors,
            documents=[c.text for c in batch],
            metadatas=metadatas,
        )
        self.keywords.add(
            _keyword_row(c.id, c.text, meta) for c, meta in zip(batch, metadatas, strict=True)
        )
        self._mark_ready(finished, chunk_counts)

    def _mark_ready(self, articles: Sequence[Article], chunk_counts: dict[str, int]) -> None:
        if not articles:
            return
        self.catalog.upsert(
            ids=[a.id for a in articles],
            embeddings=[_CATALOG_VECTOR] * len(articles),
            documents=[a.title for a in articles],
            metadatas=[self._catalog_metadata(a, "ready", chunk_counts[a.id]) for a in articles],
        )

    def remove_article(self, article_id: str) -> bool:
        with self._lock:
            if not self.catalog.get(ids=[article_id], include=[])["ids"]:
                return False
            self._delete_articles([article_id])
            return True


def _find_near_duplicates(
    changed: Sequence[Article], catalog: dict[str, dict[str, Any]]
) -> dict[str, tuple[str, str]]:
    """Signature and ``duplicate_of`` per changed article: stored articles come first, then
    the changed ones in load order, so a repeat links to the copy that arrived first."""
    changed_ids = {a.id for a in changed}
    finder = DuplicateFinder(
        (i, str(m.get("minhash", "")), str(m.get("duplicate_of", "")))
        for i, m in catalog.items()
        if i not in changed_ids and m.get("state") == "ready"
    )
    found: dict[str, tuple[str, str]] = {}
    for article in changed:
        sig = near_duplicates.signature(article.body)
        found[article.id] = (near_duplicates.encode(sig), finder.add(article.id, sig))
    return found


def _chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
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


def _keyword_row(
    chunk_id: str, text: str, meta: dict[str, Any]
) -> tuple[str, str, str, str, int | None, str]:
    day = meta.get("day")
    return (
        chunk_id,
        str(meta.get("article_id", "")),
        str(meta.get("title", "")),
        text,
        int(day) if day is not None else None,
        str(meta.get("source", "")),
    )


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
