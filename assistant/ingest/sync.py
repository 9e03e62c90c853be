"""Bring the store in step with files, folders and URLs.

Loading makes articles (:mod:`assistant.ingest.readers`); syncing compares them with the
catalog, removes what is gone, and chunks, embeds and writes what changed. An article is
marked ``pending`` before its chunks are written and ``ready`` after, so a sync that stops
half-way (a crash, a cancel) leaves a store the next sync completes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import LoadError
from assistant.index.store import ArticleStore
from assistant.index.vectors import chunk_metadata
from assistant.ingest.duplicates import find_near_duplicates
from assistant.ingest.readers.base import LoadResult
from assistant.ingest.readers.files import load_paths
from assistant.ingest.readers.web import load_url, looks_like_url
from assistant.stories.grouping import ArticleLead
from assistant.text import day_number
from assistant.types import Article, Chunk

ProgressCallback = Callable[[int, int], None]


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


def ingest_paths(
    store: ArticleStore,
    paths: Sequence[Path],
    max_file_mb: float,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> SyncReport:
    """Ingest files and folders; unreadable inputs are reported in the result, not raised."""
    loaded = load_paths(paths, max_bytes=int(max_file_mb * 1_000_000))
    # Only existing paths bound removals: a mistyped path must not empty the store.
    roots = [p for p in paths if p.exists()]
    return sync(store, loaded, roots, progress=progress, cancel=cancel)


def ingest_sources(
    store: ArticleStore,
    sources: Sequence[str],
    max_file_mb: float,
    progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> SyncReport:
    """Ingest paths and http(s) URLs given as text (the command line's arguments).

    A URL is never a removal root: a page or feed that is gone or changed upstream does not
    take stored articles with it.
    """
    max_bytes = int(max_file_mb * 1_000_000)
    urls = [s for s in sources if looks_like_url(s)]
    paths = [Path(s) for s in sources if not looks_like_url(s)]
    loaded = load_paths(paths, max_bytes=max_bytes)
    for url in urls:
        fetched: LoadResult = load_url(url, max_bytes)
        loaded.extend(fetched)
    roots = [p for p in paths if p.exists()]
    return sync(store, loaded, roots, progress=progress, cancel=cancel)


def sync(
    store: ArticleStore,
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
    with store.writing():
        return _Sync(store).run(loaded, [r.resolve() for r in roots], progress, cancel)


def _under_any(origin: str, roots: Sequence[Path]) -> bool:
    path = Path(origin)
    return any(path == root or root in path.parents for root in roots)


def _batched(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class _Sync:
    """One sync: its near-duplicate links are kept until the changed articles are written."""

    def __init__(self, store: ArticleStore) -> None:
        self.store = store
        # Each changed article's MinHash signature and the article it repeats.
        self.near_duplicates: dict[str, tuple[str, str]] = {}
        # Each changed article's first chunk and its vector, which place it in a story.
        self.leads: dict[str, tuple[str, list[float]]] = {}

    def run(
        self,
        loaded: LoadResult,
        roots: Sequence[Path],
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> SyncReport:
        started = time.perf_counter()
        report = SyncReport(problems=list(loaded.problems))
        catalog = self.store.catalog.entries()

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
            self.store.delete_articles(gone)
            report.removed = len(gone)

        if changed:
            self.near_duplicates = find_near_duplicates(changed, catalog)
            report.near_duplicates = sum(1 for _, dup in self.near_duplicates.values() if dup)
            self._mark_pending(changed)
            self.store.delete_chunks(
                [a.id for a in changed if a.id in catalog]  # new articles have no chunks
            )
            report.chunks_embedded, report.cancelled = self._index(changed, progress, cancel)
        report.seconds = time.perf_counter() - started
        return report

    def _hash(self, article: Article) -> str:
        return f"{article.content_hash}:{self.store.chunker.signature}"

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
        if article.id in self.near_duplicates:
            meta["minhash"], meta["duplicate_of"] = self.near_duplicates[article.id]
        return meta

    def _mark_pending(self, articles: Sequence[Article]) -> None:
        self._put_catalog(articles, "pending", {})

    def _put_catalog(
        self, articles: Sequence[Article], state: str, chunk_counts: dict[str, int]
    ) -> None:
        self.store.put_catalog(
            [a.id for a in articles],
            [a.title for a in articles],
            [self._catalog_metadata(a, state, chunk_counts.get(a.id, 0)) for a in articles],
        )

    def _index(
        self,
        articles: Sequence[Article],
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
    ) -> tuple[int, bool]:
        """Chunk, embed and store; an article turns ``ready`` once all its chunks are in."""
        by_id = {a.id: a for a in articles}
        pieces: list[Chunk] = [c for a in articles for c in self.store.chunker.split(a)]
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
            for batch in _batched(pieces, self.store.embed_batch):
                if cancel is not None and cancel.is_set():
                    break
                vectors = self.store.embeddings.embed_documents([c.text for c in batch])
                self.leads.update(
                    (c.article_id, (c.text, v))
                    for c, v in zip(batch, vectors, strict=True)
                    if c.index == 0
                )
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
        metadatas = [chunk_metadata(by_id[c.article_id], c) for c in batch]
        self.store.write_chunks(batch, vectors, metadatas)
        self._mark_ready(finished, chunk_counts)

    def _mark_ready(self, articles: Sequence[Article], chunk_counts: dict[str, int]) -> None:
        if articles:
            self._put_catalog(articles, "ready", chunk_counts)
            self._group(articles)

    def _group(self, articles: Sequence[Article]) -> None:
        """Each article into a story, once it is ready (in the writer thread, while the
        next batch is embedded, so grouping costs ingest little time)."""
        for article in articles:
            lead, vector = self.leads.pop(article.id, ("", None))
            self.store.stories.add(
                ArticleLead(
                    article_id=article.id,
                    title=article.title,
                    published=article.published,
                    source=article.source,
                    lead=lead,
                    vector=vector,
                    duplicate_of=self.near_duplicates.get(article.id, ("", ""))[1],
                )
            )
