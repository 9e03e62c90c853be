"""Load files and bring the store in step with them."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

from assistant.corpus import load_paths
from assistant.store import ArticleStore, ProgressCallback, SyncReport


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
