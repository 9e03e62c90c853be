"""The names an article is about: the capitalized words of its headline and lead.

Two reports of one event share their people, places and organisations ("Rajapaksa",
"Colombo"), while two stories on one topic share mostly common words; names are a cheap,
model-free check on top of embedding similarity. A capitalized word that opens a sentence
is only a name when it is capitalized elsewhere too ("The", "After" are not).
"""

from __future__ import annotations

import calendar
import re
from collections import Counter

from assistant.index.keywords import STOPWORDS

# The most names kept per article: the lead's main actors, not every passing mention.
MAX_NAMES = 12
_CAPITALIZED = re.compile(r"\b[A-Z][A-Za-z'’-]*[A-Za-z]\b")
_SENTENCE_START = re.compile(r"(?:^|[.!?:\n]\s*[\"“‘(]?)\s*([A-Z][A-Za-z'’-]*)")
_POSSESSIVE = re.compile(r"['’]s?$")
# Capitalized words that name no one: calendar words, and datelines' outlets.
_NOT_NAMES = frozenset(
    {m.lower() for m in calendar.month_name if m}
    | {d.lower() for d in calendar.day_name}
    | {"cnn", "ap", "reuters", "usa", "today", "mr", "mrs", "ms", "dr", "news", "said"}
)


def article_names(title: str, lead: str, limit: int = MAX_NAMES) -> list[str]:
    """The article's most frequent names, lower-cased (headline words count twice)."""
    text = f"{title}.\n{title}.\n{lead}"
    openers = Counter(m.group(1) for m in _SENTENCE_START.finditer(text))
    found = Counter(m.group(0) for m in _CAPITALIZED.finditer(text))
    counts: Counter[str] = Counter()
    for word, total in found.items():
        key = _POSSESSIVE.sub("", word.lower())
        if len(key) < 3 or key in STOPWORDS or key in _NOT_NAMES:
            continue
        if total - openers.get(word, 0) <= 0 and word.upper() != word:
            continue  # only ever at the start of a sentence: an ordinary word
        counts[key] += total
    return [word for word, _ in counts.most_common(limit)]


def shared(a: set[str], b: set[str]) -> int:
    return len(a & b)
