"""Turn files into articles.

Supported: plain text and Markdown (optionally with YAML front matter, or the seed format
``date YYYY-MM-DD`` followed by the body), JSON (one record or a list of records), JSON
Lines, HTML pages, PDF and RSS / Atom feeds. A record has ``title``, ``text`` or ``body``,
``published`` / ``published_at`` / ``date``, ``source``, ``url``, ``author`` and optionally
``id``. The readers of each format live in ``assistant.ingest.readers``; this module picks one by
file suffix.

Nothing here raises on bad input: every file or record that cannot be read becomes a
:class:`LoadError` in the result, and the rest is loaded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import frontmatter
import yaml

from assistant.errors import LoadError
from assistant.ingest.readers.base import (
    LoadResult,
    decode,
    derive_title,
    parse_date,
    record_to_article,
)
from assistant.ingest.readers.formats import (
    FEED_SUFFIXES,
    HTML_SUFFIXES,
    JSON_SUFFIXES,
    JSONL_SUFFIXES,
    PDF_SUFFIXES,
    SUPPORTED_SUFFIXES,
)
from assistant.types import Article

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Article",
    "LoadResult",
    "derive_title",
    "iter_files",
    "load_file",
    "load_paths",
    "load_text",
    "parse_date",
]

_SEED_DATE = re.compile(r"^\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*\n?")


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
        return record_to_article(record, origin, "0")
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
            result.articles.append(record_to_article(record, origin, str(index)))
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
            result.articles.append(record_to_article(record, origin, str(lineno)))
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
        _read(path.read_bytes(), suffix, origin, name, result)
    except LoadError as exc:
        result.problems.append(exc)
    except OSError as exc:
        result.problems.append(LoadError(name, f"cannot be read ({exc.strerror or exc})"))
    if result.problems:
        result.failed_origins.add(origin)
    return result


def _read(raw: bytes, suffix: str, origin: str, name: str, result: LoadResult) -> None:
    """Hand the bytes to the reader of their type; a LoadError is the whole file's problem."""
    # Imported on first use: together ~0.3 s, which commands that never read a file skip.
    from assistant.ingest.readers.feeds import load_feed
    from assistant.ingest.readers.html import load_html
    from assistant.ingest.readers.pdf import load_pdf

    if suffix in PDF_SUFFIXES:
        result.articles.append(load_pdf(raw, origin, name))
        return
    # Raises for binary content, which no text-based reader could use.
    text, warning = decode(raw, name)
    if suffix in HTML_SUFFIXES:
        # The page's bytes, not our decoding: trafilatura honours its charset declaration.
        result.articles.append(load_html(raw, origin, name))
        return
    if suffix in FEED_SUFFIXES:
        result.extend(load_feed(raw, origin, name))  # feedparser reads the XML encoding
        return
    if warning:
        result.problems.append(warning)
    if suffix in JSONL_SUFFIXES:
        result.extend(_load_jsonl(text, origin, name))
    elif suffix in JSON_SUFFIXES:
        result.extend(_load_json(text, origin, name))
    else:
        result.articles.append(load_text(text, origin, name))


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
