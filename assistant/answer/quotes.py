"""Is a quote really in its source? Compared after normalizing what typing varies:
whitespace, quote marks, dashes, case and Unicode forms."""

from __future__ import annotations

import re
import unicodedata

_QUOTES = str.maketrans({c: '"' for c in "“”„‟«»″"} | {c: "'" for c in "‘’‚‛′`´"})
_DASHES = re.compile(r"[\u2010-\u2015\u2212\uFE58\uFE63\uFF0D-]+")
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*")
_SPACE = re.compile(r"\s+")
_MIN_CHARS = 12  # a shorter "quote" ("the", "Spain") proves nothing


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    text = _DASHES.sub("-", text)
    return _SPACE.sub(" ", text).strip().lower()


def _trim(quote: str) -> str:
    return quote.strip().strip("\"'").strip()


def quote_in(quote: str, source: str) -> bool:
    """True when every piece of the quote (split at an ellipsis) occurs in the source, in
    order, and the quote is long enough to mean something."""
    fragments = [normalize(_trim(f)) for f in _ELLIPSIS.split(_trim(quote))]
    fragments = [f.strip(" .,;:") for f in fragments if f.strip(" .,;:")]
    if not fragments or sum(len(f) for f in fragments) < _MIN_CHARS:
        return False
    haystack = normalize(source)
    position = 0
    for fragment in fragments:
        found = haystack.find(fragment, position)
        if found < 0:
            return False
        position = found + len(fragment)
    return True
