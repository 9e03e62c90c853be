"""Which file suffixes each reader takes, apart from the readers themselves.

The readers import heavy parsers (trafilatura, pypdf, feedparser: about 0.3 s together);
choosing one by suffix must not cost every command that loads the corpus module that time.
"""

from __future__ import annotations

TEXT_SUFFIXES = {".txt", ".md", ".markdown", ".text"}
JSON_SUFFIXES = {".json"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
PDF_SUFFIXES = {".pdf"}
FEED_SUFFIXES = {".xml", ".rss", ".atom"}
SUPPORTED_SUFFIXES = (
    TEXT_SUFFIXES | JSON_SUFFIXES | JSONL_SUFFIXES | HTML_SUFFIXES | PDF_SUFFIXES | FEED_SUFFIXES
)

# A news page is rarely over 1 MB of markup; 5 MB leaves room and bounds parse time (~3 s).
MAX_HTML_BYTES = 5_000_000
