"""Load files, folders and URLs and bring the store in step with them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from assistant.index.store import ArticleStore, ProgressCallback, SyncReport
from assistant.ingest.readers.base import LoadResult
from assistant.ingest.readers.files import load_paths
from assistant.ingest.readers.web import load_url, looks_like_url


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
    return store.sync(loaded, roots, progress=progress, cancel=cancel)


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
    return store.sync(loaded, roots, progress=progress, cancel=cancel)
