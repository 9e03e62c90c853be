"""The Articles tab's Feeds panel: the feeds read on a schedule, each with its last good
read or its error, and buttons to add, remove and read one now."""

from __future__ import annotations

import time

from assistant.app.render import escape
from assistant.errors import LoadError
from assistant.ingest.feed_watch import FeedStatus, FeedWatcher


def _when(moment: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(moment)) if moment else "never"


def _row(status: FeedStatus) -> str:
    if status.ok and status.last_success is None:
        state = "not read yet"
    elif status.ok:
        state = f"✅ {escape(status.last_report)}"
    else:
        tries = f" ({status.failures} failures in a row; retried later)"
        state = f"⚠️ {escape(status.last_error)}{tries if status.failures > 1 else ''}"
    cell = state.replace("|", "\\|").replace("\n", " ")
    return f"| {escape(status.url)} | {_when(status.last_success)} | {cell} |"


class FeedsHandler:
    def __init__(self, watcher: FeedWatcher) -> None:
        self.watcher = watcher

    def choices(self) -> list[str]:
        return self.watcher.feeds.urls()

    def table(self) -> str:
        statuses = self.watcher.statuses()
        if not statuses:
            return "_No feeds yet: add a feed's URL above._"
        minutes = self.watcher.interval / 60
        head = [
            f"Each feed is read every {minutes:g} minutes.",
            "",
            "| Feed | Last good read | Last read |",
            "| --- | --- | --- |",
        ]
        return "\n".join(head + [_row(s) for s in statuses])

    def add(self, url: str | None) -> str:
        url = (url or "").strip()
        if not url:
            return "Type a feed's URL first (http:// or https://)."
        try:
            added = self.watcher.feeds.add(url)
        except LoadError as exc:
            return f"⚠️ {escape(str(exc))}"
        if not added:
            return f"{escape(url)} is listed already."
        status = self.watcher.refresh(url)  # read at once, so the reader sees it work
        return f"Added {escape(url)}." + ("" if status.ok else " Its first read failed.")

    def remove(self, url: str | None) -> str:
        if not url:
            return "Choose a feed to remove."
        if self.watcher.feeds.remove(url):
            return f"Removed {escape(url)}; the articles read from it stay in the corpus."
        return f"{escape(url)} is not listed."

    def refresh(self, url: str | None) -> str:
        """Read the chosen feed now, or every feed when none is chosen."""
        urls = [url] if url else self.choices()
        if not urls:
            return "No feeds to read."
        failed = [s.url for s in (self.watcher.refresh(u) for u in urls) if not s.ok]
        if failed:
            return f"Read {len(urls)} feed(s); {len(failed)} failed (see below)."
        return f"Read {len(urls)} feed(s)."
