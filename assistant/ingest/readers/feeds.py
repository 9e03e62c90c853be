"""RSS and Atom feeds: each entry is an article with its title, date, link and text.

An entry's article id comes from its own id (or link), not from its position, so reading a
feed again (a newer copy of the file, or the same URL later) finds the entries already
stored and adds only the new ones. A feed shows a window of recent entries: one that
scrolled out was not withdrawn, so the feed's origin is marked partial and kept.
"""

from __future__ import annotations

import io
import logging
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import feedparser

from assistant.errors import LoadError
from assistant.ingest.readers.base import LoadResult, derive_title, parse_date, stable_id
from assistant.ingest.readers.html import fragment_to_text
from assistant.types import Article

log = logging.getLogger(__name__)


def load_feed(raw: bytes, origin: str, name: str) -> LoadResult:
    result = LoadResult(partial_origins={origin})
    try:
        # A stream, never bytes or str: given a string that looks like a URL or a path,
        # feedparser would fetch or open it.
        parsed = feedparser.parse(io.BytesIO(raw))
    # feedparser is lenient by design, but its sgmllib fallback can still raise on hostile
    # input; whatever it raises, the file is not a readable feed.
    except Exception as exc:
        log.debug("feedparser failed on %s", name, exc_info=True)
        result.problems.append(LoadError(name, f"cannot be parsed as a feed ({exc})"))
        return result
    if not parsed.entries:
        if parsed.get("bozo") or not parsed.get("version"):
            reason = parsed.get("bozo_exception") or "no RSS or Atom elements"
            problem = LoadError(name, f"is not a readable RSS or Atom feed ({reason})")
            result.problems.append(problem)
        return result
    feed_title = fragment_to_text(str(parsed.feed.get("title") or ""))
    for number, entry in enumerate(parsed.entries, start=1):
        try:
            result.articles.append(_entry_article(entry, feed_title, origin, name))
        except ValueError as exc:
            result.problems.append(LoadError(name, f"entry {number} {exc}"))
    return result


def _entry_article(entry: Any, feed_title: str, origin: str, name: str) -> Article:
    link = str(entry.get("link") or "")
    title = fragment_to_text(str(entry.get("title") or ""))
    key = str(entry.get("id") or link or title)
    if not key:
        raise ValueError("has no id, link or title to know it by")
    body = fragment_to_text(_entry_html(entry))
    if not body:
        raise ValueError(f"({key[:60]!r}) has no text: no content or summary")
    if not title:
        title, body = derive_title(body)
    return Article(
        # The same entry read from a saved file or from the feed's URL is one article.
        id=stable_id("feed-entry", key),
        title=title,
        body=body,
        published=_entry_date(entry, key),
        source=feed_title or urlparse(link).hostname or Path(name).name,
        url=link,
        author=str(entry.get("author") or ""),
        origin=origin,
    )


def _entry_html(entry: Any) -> str:
    """The fullest text the entry carries: its content if any, else its summary."""
    contents = [str(c.get("value") or "") for c in entry.get("content") or []]
    best = max(contents, key=len, default="")
    summary = str(entry.get("summary") or "")
    return best if len(best) >= len(summary) else summary


def _entry_date(entry: Any, key: str) -> date | None:
    for field in ("published", "updated"):
        # dict.get, not entry.get: feedparser maps a missing published_parsed to
        # updated_parsed with a DeprecationWarning; both are tried here anyway.
        parsed = dict.get(entry, f"{field}_parsed")
        if parsed:
            return date(parsed.tm_year, parsed.tm_mon, parsed.tm_mday)
        raw = dict.get(entry, field)
        if raw:
            found = parse_date(raw)
            if found is None:
                raise ValueError(f"({key[:60]!r}) has a date that is not understood: {raw[:40]!r}")
            return found
    return None
