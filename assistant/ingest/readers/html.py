"""Web pages: the article text, title, byline and date, with menus, ads and footers dropped.

trafilatura does the extraction (main-text detection plus metadata from ``<meta>`` tags and
JSON-LD). Pages are capped in size before parsing: a hostile or broken page must not cost
unbounded time or memory, and lxml already stops at a fixed nesting depth.
"""

from __future__ import annotations

import logging
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import trafilatura
from trafilatura.settings import Document

from assistant.errors import LoadError
from assistant.ingest.readers.base import derive_title, parse_date, stable_id
from assistant.ingest.readers.formats import MAX_HTML_BYTES
from assistant.types import Article

log = logging.getLogger(__name__)


_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "pre", "tr", "table", "section", "article", "header", "footer", "figure", "hr",
}  # fmt: skip
_SKIP_TAGS = {"script", "style", "template", "noscript"}


def load_html(raw: bytes | str, origin: str, name: str, url: str = "") -> Article:
    """One article from a page; LoadError when it is too big or holds no article text."""
    size = len(raw)
    if size > MAX_HTML_BYTES:
        raise LoadError(
            name,
            f"is a {size / 1e6:.1f} MB page, over the {MAX_HTML_BYTES / 1e6:.0f} MB limit "
            "for HTML; save the article text instead",
        )
    try:
        doc = trafilatura.bare_extraction(
            raw,
            url=url or None,
            with_metadata=True,
            include_comments=False,
            include_images=False,
        )
    # trafilatura and lxml raise many undocumented errors on malformed markup; any of them
    # means this page cannot be read, which is reported like any other unreadable file.
    except Exception as exc:
        log.debug("trafilatura failed on %s", name, exc_info=True)
        raise LoadError(name, f"cannot be parsed as HTML ({type(exc).__name__})") from exc
    if not isinstance(doc, Document) or not (doc.text or "").strip():
        raise LoadError(name, "holds no article text that could be found (HTML)")
    title = (doc.title or "").strip()
    lines = [line.strip() for line in (doc.text or "").splitlines() if line.strip()]
    # trafilatura keeps the page's <h1>; it is the title, not part of the body.
    if lines and title and lines[0] == title and len(lines) > 1:
        lines = lines[1:]
    body = "\n\n".join(lines)
    if not title:
        title, body = derive_title(body)
    source = doc.sitename or doc.hostname or (urlparse(url).hostname if url else "")
    return Article(
        id=stable_id(origin, "0"),
        title=title,
        body=body,
        published=parse_date(doc.date),
        source=source or Path(name).name,
        url=url or doc.url or "",
        author=(doc.author or "").strip(),
        origin=origin,
    )


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def fragment_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (a feed entry's summary), one paragraph per block."""
    collector = _TextCollector()
    collector.feed(fragment)
    collector.close()
    text = "".join(collector.parts)
    paragraphs = (" ".join(p.split()) for p in text.split("\n"))
    return "\n\n".join(p for p in paragraphs if p)
