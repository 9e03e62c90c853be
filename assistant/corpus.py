"""Turn files into articles.

Supported: plain text and Markdown (optionally with YAML front matter, or the seed format
``date YYYY-MM-DD`` followed by the body), JSON (one record or a list of records) and JSON
Lines. A record has ``title``, ``text`` or ``body``, ``published`` / ``published_at`` /
``date``, ``source``, ``url``, ``author`` and optionally ``id``.

Nothing here raises on bad input: every file or record that cannot be read becomes a
:class:`LoadError` in the result, and the rest is loaded.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from assistant.errors import LoadError

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES

_SEED_DATE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*\n?")
_MD_HEADING = re.compile(r"^\s*#{1,3}\s+(.+?)\s*#*\s*$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s")
_TITLE_CHARS = 100


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str
    published: date | None = None
    source: str = ""
    url: str = ""
    author: str = ""
    # The file the article came from; a changed or removed file updates its articles.
    origin: str = ""

    @property
    def content_hash(self) -> str:
        """Changes whenever anything stored about the article changes."""
        parts = [self.title, self.body, self.published_iso, self.source, self.url, self.author]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    @property
    def published_iso(self) -> str:
        return self.published.isoformat() if self.published else ""


@dataclass
class LoadResult:
    articles: list[Article] = field(default_factory=list)
    problems: list[LoadError] = field(default_factory=list)
    # Files with any problem: what was stored from them before is kept, not removed.
    failed_origins: set[str] = field(default_factory=set)

    def extend(self, other: LoadResult) -> None:
        self.articles.extend(other.articles)
        self.problems.extend(other.problems)
        self.failed_origins |= other.failed_origins


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
            return datetime.utcfromtimestamp(float(value)).date()
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
    sentence = _SENTENCE_END.split(first, maxsplit=1)[0]
    if len(sentence) > _TITLE_CHARS:
        sentence = sentence[:_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return sentence, body.strip()


def _stable_id(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def _decode(raw: bytes, name: str) -> tuple[str, LoadError | None]:
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


def _record_to_article(record: Any, origin: str, position: str) -> Article:
    if not isinstance(record, dict):
        raise ValueError(f"expected a JSON object, got {type(record).__name__}")
    body = record.get("text") or record.get("body") or record.get("content") or ""
    if not isinstance(body, str) or not body.strip():
        raise ValueError("has no 'text' or 'body' field with article text")
    title = str(record.get("title") or "").strip()
    if not title:
        title, body = derive_title(body)
    published = None
    for key in ("published", "published_at", "date"):
        if record.get(key):
            published = parse_date(record[key])
            if published is None:
                raise ValueError(f"field '{key}' is not a date: {str(record[key])[:40]!r}")
            break
    raw_id = record.get("id")
    article_id = str(raw_id) if raw_id not in (None, "") else _stable_id(origin, position)
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


def load_text(text: str, origin: str, name: str) -> Article:
    """A plain-text or Markdown article: front matter, seed format or bare text."""
    meta: dict[str, Any] = {}
    published: date | None = None
    if text.lstrip().startswith("---"):
        try:
            post = frontmatter.loads(text)
        except (yaml.YAMLError, ValueError) as exc:
            raise LoadError(name, f"has front matter that is not valid YAML ({exc})") from exc
        meta, text = dict(post.metadata), post.content
    seed = _SEED_DATE.match(text)
    if seed:
        published = parse_date(seed.group(1))
        text = text[seed.end() :]
    if not text.strip():
        raise LoadError(name, "holds no article text")
    record = {"text": text, **meta}
    if published and not any(k in meta for k in ("published", "published_at", "date")):
        record["date"] = published.isoformat()
    record.setdefault("source", Path(name).name)
    try:
        return _record_to_article(record, origin, "0")
    except ValueError as exc:
        raise LoadError(name, str(exc)) from exc


def _load_json(text: str, origin: str, name: str) -> LoadResult:
    result = LoadResult()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        result.problems.append(LoadError(name, f"is not valid JSON ({exc.msg})", exc.lineno))
        return result
    if isinstance(data, dict) and isinstance(data.get("articles"), list):
        data = data["articles"]
    records = data if isinstance(data, list) else [data]
    for index, record in enumerate(records):
        try:
            result.articles.append(_record_to_article(record, origin, str(index)))
        except ValueError as exc:
            result.problems.append(LoadError(name, f"record {index + 1} {exc}"))
    return result


def _load_jsonl(text: str, origin: str, name: str) -> LoadResult:
    result = LoadResult()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            result.articles.append(_record_to_article(record, origin, str(lineno)))
        except json.JSONDecodeError as exc:
            result.problems.append(LoadError(name, f"is not valid JSON ({exc.msg})", lineno))
        except ValueError as exc:
            result.problems.append(LoadError(name, str(exc), lineno))
    return result


def load_file(path: Path, max_bytes: int) -> LoadResult:
    """Load one file; every problem is reported in the result, never raised."""
    origin = str(path.resolve())
    name = str(path)
    result = LoadResult()
    suffix = path.suffix.lower()
    try:
        if suffix not in SUPPORTED_SUFFIXES:
            supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
            raise LoadError(name, f"has an unsupported type '{suffix}' (supported: {supported})")
        size = path.stat().st_size
        if size > max_bytes:
            raise LoadError(
                name,
                f"is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit "
                "(ASSISTANT_MAX_FILE_MB); split it or raise the limit",
            )
        if size == 0:
            raise LoadError(name, "is empty")
        text, warning = _decode(path.read_bytes(), name)
        if warning:
            result.problems.append(warning)
        if suffix in JSONL_SUFFIXES:
            result.extend(_load_jsonl(text, origin, name))
        elif suffix in JSON_SUFFIXES:
            result.extend(_load_json(text, origin, name))
        else:
            result.articles.append(load_text(text, origin, name))
    except LoadError as exc:
        result.problems.append(exc)
    except OSError as exc:
        result.problems.append(LoadError(name, f"cannot be read ({exc.strerror or exc})"))
    if result.problems:
        result.failed_origins.add(origin)
    return result


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files under the given paths, in a stable order, hidden ones skipped."""
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path)
                if child.is_file() and not any(p.startswith(".") for p in rel.parts):
                    yield child
        else:
            yield path


def load_paths(paths: Iterable[Path], max_bytes: int) -> LoadResult:
    result = LoadResult()
    for path in iter_files(paths):
        if not path.exists():
            result.problems.append(LoadError(str(path), "does not exist"))
            continue
        result.extend(load_file(path, max_bytes))
    return result
