"""PDF files: the text layer, page by page, with page markers a citation can name.

One PDF is one article. Each page's text starts with ``[page N]`` on a line of its own, so a
retrieved passage shows which page it came from. A PDF without a text layer (a scan) is
refused: OCR is out of scope and an empty article would only mislead retrieval.
"""

from __future__ import annotations

import io
import logging
import re
from pathlib import Path

from pypdf import PdfReader

from assistant.errors import LoadError
from assistant.ingest.readers.base import derive_title, parse_date, stable_id
from assistant.types import Article

log = logging.getLogger(__name__)

# A scan with stray OCR-less glyphs (a page number, a logo's letters) is still a scan.
_MIN_TEXT_CHARS = 20
_PAGE_MARK = "[page {n}]"
_PAGE_MARK_RE = re.compile(r"^\[page (\d+)\]$", re.MULTILINE)


def load_pdf(raw: bytes, origin: str, name: str) -> Article:
    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted:
            raise LoadError(name, "is an encrypted PDF; save an unprotected copy")
        pages = [_page_text(page.extract_text() or "") for page in reader.pages]
        info = reader.metadata
        meta_title = str(info.title or "").strip() if info else ""
        meta_author = str(info.author or "").strip() if info else ""
        created = info.creation_date if info else None
    except LoadError:
        raise
    # pypdf raises many exception types on broken files (its own, and ValueError, KeyError,
    # RecursionError... from deep inside); each means the same: this file cannot be read.
    except Exception as exc:
        log.debug("pypdf failed on %s", name, exc_info=True)
        raise LoadError(name, f"cannot be read as a PDF ({type(exc).__name__})") from exc
    if sum(len(p) for p in pages) < _MIN_TEXT_CHARS:
        raise LoadError(name, "is a PDF with no text layer (a scan?); OCR it first")
    body = "\n\n".join(
        f"{_PAGE_MARK.format(n=n)}\n{text}" for n, text in enumerate(pages, start=1) if text
    )
    title = meta_title
    if not title:
        first_text = next(p for p in pages if p)
        title, _ = derive_title(first_text)
    return Article(
        id=stable_id(origin, "0"),
        title=title,
        body=body,
        published=parse_date(created),
        source=Path(name).name,
        author=meta_author,
        origin=origin,
    )


def _page_text(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return "\n".join(line for line in lines if line).strip()


def page_of(passage_text: str, body: str) -> int | None:
    """The page a passage of a PDF article starts on: the last marker before it."""
    at = body.find(passage_text)
    if at < 0:
        return None
    marks = [m for m in _PAGE_MARK_RE.finditer(body) if m.start() <= at]
    return int(marks[-1].group(1)) if marks else None
