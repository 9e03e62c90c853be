"""Feeds kept current: each feed of the list is read on a schedule with the feed reader and
brought into the store by the same sync as any ingest, so an entry already stored is
skipped and copies of one story collapse.

A feed that fails (cannot be fetched, times out, answers with something that is no feed) is
reported and tried again after a delay that doubles with each failure in a row, never
longer than the schedule; it never stops the other feeds or the app.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import AssistantError
from assistant.index.store import ArticleStore
from assistant.ingest.readers.web import check_url
from assistant.ingest.sync import SyncReport, ingest_sources

log = logging.getLogger(__name__)

FIRST_RETRY_S = 60.0  # after a first failure; doubled after each further one
_IDLE_S = 30.0  # the longest the watcher sleeps before looking at the schedule again


class FeedList:
    """The feed URLs, one a line, in a text file that the panel and the CLI both edit."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def urls(self) -> list[str]:
        if not self.path.is_file():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return list(dict.fromkeys(s for line in lines if (s := line.strip()) and s[0] != "#"))

    def add(self, url: str) -> bool:
        """Add a feed; False if it was listed already. A URL that cannot be fetched (not
        http or https) raises :class:`LoadError` naming it."""
        url = url.strip()
        check_url(url)
        urls = self.urls()
        if url in urls:
            return False
        self._write([*urls, url])
        return True

    def remove(self, url: str) -> bool:
        urls = self.urls()
        if url not in urls:
            return False
        self._write([u for u in urls if u != url])
        return True

    def _write(self, urls: list[str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text("".join(f"{u}\n" for u in urls), encoding="utf-8")
        temporary.replace(self.path)  # a crash leaves the old list or the new, never half


@dataclass
class FeedStatus:
    url: str
    last_success: float | None = None  # wall-clock time of the last good read
    last_error: str = ""  # why the last read failed ("" if it did not)
    last_report: str = ""  # what the last good read added, updated or skipped
    failures: int = 0  # failed reads in a row
    next_due: float = 0.0  # on the watcher's clock

    @property
    def ok(self) -> bool:
        return not self.last_error


def failed(report: SyncReport) -> bool:
    """A read that stored or found nothing and reported a problem: the feed itself is at
    fault (an entry that cannot be read is reported, but the rest of the feed is used)."""
    seen = report.added + report.updated + report.unchanged
    return bool(report.problems) and seen == 0


class FeedWatcher:
    def __init__(
        self,
        store: ArticleStore,
        feeds: FeedList,
        minutes: float,
        max_file_mb: float,
        clock: Callable[[], float] = time.monotonic,
        ingest: Callable[[ArticleStore, list[str], float], SyncReport] = ingest_sources,
        on_read: Callable[[FeedStatus], None] | None = None,
    ) -> None:
        self.store = store
        self.feeds = feeds
        self.interval = minutes * 60
        self.max_file_mb = max_file_mb
        self.clock = clock
        self.ingest = ingest
        self.on_read = on_read  # told of every read, as it ends
        self._status: dict[str, FeedStatus] = {}
        self._lock = threading.Lock()  # one read at a time, whoever asks for it
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def statuses(self) -> list[FeedStatus]:
        """Every listed feed's status, in the list's order (a feed not read yet is due)."""
        return [self._status.get(url) or FeedStatus(url) for url in self.feeds.urls()]

    def poll_due(self) -> list[FeedStatus]:
        """Read every feed whose time has come; the statuses of those read."""
        now = self.clock()
        due = [s.url for s in self.statuses() if s.next_due <= now]
        return [self.refresh(url) for url in due]

    def refresh(self, url: str) -> FeedStatus:
        """Read one feed now, whatever its schedule."""
        with self._lock:
            status = self._status.setdefault(url, FeedStatus(url))
            try:
                report = self.ingest(self.store, [url], self.max_file_mb)
                error = "; ".join(str(p) for p in report.problems) if failed(report) else ""
            except (AssistantError, OSError) as exc:
                report, error = None, str(exc)
            except Exception as exc:  # a bug must not stop the other feeds or the app
                log.exception("Reading the feed %s failed", url)
                report, error = None, f"{type(exc).__name__}: {exc}"
            now = self.clock()
            if error:
                status.failures += 1
                status.last_error = error
                delay = min(FIRST_RETRY_S * 2 ** (status.failures - 1), self.interval)
                log.warning("Feed %s failed (%d in a row): %s", url, status.failures, error)
            else:
                assert report is not None
                status.failures, status.last_error = 0, ""
                status.last_success, status.last_report = time.time(), report.summary()
                delay = self.interval
            status.next_due = now + max(delay, 1.0)
        if self.on_read is not None:
            self.on_read(status)
        return status

    def run(self) -> None:
        """Read the feeds as they fall due until :meth:`stop`."""
        while not self._stop.is_set():
            self.poll_due()
            dues = [s.next_due for s in self.statuses()]
            wait = min([*dues, self.clock() + _IDLE_S]) - self.clock()
            self._stop.wait(min(max(wait, 1.0), _IDLE_S))

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="feed-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
