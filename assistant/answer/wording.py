"""Words and numbers compared as a reader would: "$12,600,000" is "$12.6 million", "3%" is
"3 percent", "Sánchez's" is "Sánchez". Used to tell whether an answer names an option and
whether a passage holds the numbers of a sentence that cites it."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "and",
        "or",
        "by",
        "with",
        "from",
        "as",
        "is",
        "was",
        "are",
        "were",
        "be",
        "its",
        "his",
        "her",
        "their",
        "our",
        "this",
        "that",
        "these",
        "those",
        "it",
    ]
)
_MULTIPLIERS = {
    "hundred": 100,
    "thousand": 1_000,
    "million": 1_000_000,
    "mn": 1_000_000,
    "billion": 1_000_000_000,
    "bn": 1_000_000_000,
    "trillion": 1_000_000_000_000,
}
_NUMBER_WORDS = {
    word: value
    for value, word in enumerate(
        [
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
            "twenty",
        ]
    )
} | {"thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80}
_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?|[^\W\d_]+", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s\b")


def _number(token: str) -> float | None:
    try:
        return float(token.replace(",", ""))
    except ValueError:
        return _NUMBER_WORDS.get(token)


def _canonical(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def normalize(text: str) -> list[str]:
    """Lowercased words and canonical numbers: "$12.6 million" -> ["12600000"]."""
    text = unicodedata.normalize("NFKC", text).lower().replace("%", " percent ")
    text = _POSSESSIVE.sub("", text)
    raw = _TOKEN.findall(text)
    tokens: list[str] = []
    i = 0
    while i < len(raw):
        value = _number(raw[i])
        if value is None:
            tokens.append(raw[i])
            i += 1
            continue
        # A multiplier after a number is part of it; a digit string such as "2022" stays
        # as it is.
        while i + 1 < len(raw) and raw[i + 1] in _MULTIPLIERS:
            value *= _MULTIPLIERS[raw[i + 1]]
            i += 1
        tokens.append(_canonical(value))
        i += 1
    return tokens


def content_words(tokens: Sequence[str]) -> list[str]:
    kept = [t for t in tokens if t not in _STOP]
    return kept or list(tokens)


def numbers(tokens: Sequence[str]) -> set[str]:
    """The canonical numbers among normalized tokens."""
    return {t for t in tokens if t[0].isdigit()}
