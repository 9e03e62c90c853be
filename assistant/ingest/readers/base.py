"""What every reader produces: articles, the problems met, and shared parsing helpers."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from assistant.errors import LoadError
from assistant.text import SENTENCE_END
from assistant.types import Article

_MD_HEADING = re.compile(r"^\s*#{1,3}\s+(.+?)\s*#*\s*$")
_TITLE_CHARS = 100


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    problems: list[LoadError] = field(default_factory=list)
    # Files with any problem: what was stored from them before is kept, not removed.
    failed_origins: set[str] = field(default_factory=set)
    # Inputs that show a window on a longer list (feeds): an article that dropped out of
    # the window was not withdrawn, so it is kept.
    partial_origins: set[str] = field(default_factory=set)

    def extend(self, other: LoadResult) -> None:
        self.articles.extend(other.articles)
        self.problems.extend(other.problems)
        self.failed_origins |= other.failed_origins
        self.partial_origins |= other.partial_origins


def parse_date(value: Any) -> date | None:
    """Accept ISO dates and datetimes, RFC 2822 dates and Unix timestamps; else None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(float(value), UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    text = str(value).strip()
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    if re.match(r"^\d{4}-\d{2}-\d{2}", text):
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None
    try:
        return parsedate_to_datetime(text).date()
    except (TypeError, ValueError, IndexError):
        return None


def derive_title(body: str) -> tuple[str, str]:
    """Return (title, body): a headline line when the text starts with one, else the start
    of the first sentence, shortened."""
    lines = body.strip().splitlines()
    if not lines:
        return "", body
    first = lines[0].strip()
    heading = _MD_HEADING.match(first)
    if heading:
        return heading.group(1).strip(), "\n".join(lines[1:]).strip()
    rest = "\n".join(lines[1:]).strip()
    if rest and len(first) <= 120 and not first.endswith((".", "!", "?", ":", ";", ",")):
        return first, rest
    sentence = SENTENCE_END.split(first, maxsplit=1)[0]
    if len(sentence) > _TITLE_CHARS:
        sentence = sentence[:_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence, body.strip()


def stable_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def decode(raw: bytes, name: str) -> tuple[str, LoadError | None]:
    """UTF-8 (with or without BOM); otherwise Windows-1252, reported, rather than nothing."""
    if b"\x00" in raw[:8192]:
        raise LoadError(name, "looks like a binary file (NUL bytes); save the article as text")
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        text = raw.decode("cp1252", errors="replace")
        return text, LoadError(
            name, "is not valid UTF-8; read as Windows-1252, check its characters", line
        )


def record_to_article(record: Any, origin: str, position: str) -> Article:
    """An article from a JSON-like record; ValueError says what is missing or wrong."""
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    body = record.get("text") or record.get("body") or record.get("content") or ""
    if not isinstance(body, str) or not body.strip():
        raise ValueError("has no 'text' or 'body' field with article text")
    title = str(record.get("title") or "").strip()
    if not title:
        title, body = derive_title(body)
        if not body.strip():  # a heading alone ("# Notes"): nothing to search or cite
            raise ValueError("has a heading but no article text")
    published = None
    for key in ("published", "published_at", "date"):
        if record.get(key):
            published = parse_date(record[key])
            if published is None:
                raise ValueError(f"field '{key}' is not a date: {str(record[key])[:40]!r}")
            break
    raw_id = record.get("id")
    article_id = str(raw_id) if raw_id not in (None, "") else stable_id(origin, position)
    return Article(
        id=article_id,
        title=title,
        body=body.strip(),
        published=published,
        source=str(record.get("source") or ""),
        url=str(record.get("url") or record.get("link") or ""),
        author=str(record.get("author") or ""),
        origin=origin,
    )
