"""The checkable facts of a sentence — its numbers, names and dates — and whether a source
text states them. A small model rewriting an article can turn "12 million" into "40
million" or bring in a name the article never gives; both are plain to see by comparing
tokens, without a second model."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.index.keywords import STOPWORDS
from assistant.text import WORD, capitalized_words, sentences, words

if TYPE_CHECKING:
    from nltk.stem.porter import PorterStemmer

_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
# Written-out numbers are compared as digits ("three" in the article, "3" in a summary).
# "one" is left out: it is far more often a pronoun than a count.
_NUMBER_WORDS = {
    "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "eleven": "11", "twelve": "12", "thirteen": "13",
    "fourteen": "14", "fifteen": "15", "sixteen": "16", "seventeen": "17", "eighteen": "18",
    "nineteen": "19", "twenty": "20", "thirty": "30", "forty": "40", "fifty": "50",
    "sixty": "60", "seventy": "70", "eighty": "80", "ninety": "90",
}  # fmt: skip


def split_sentences(text: str) -> list[str]:
    """Sentences, bullet points and lines; bullet marks removed."""
    # Marks are removed after splitting: they are what keeps one bullet from running on
    # into the next.
    unbulleted = (_BULLET.sub("", s) for s in sentences(text))
    return [s for s in unbulleted if WORD.search(s)]


def content_words(text: str) -> list[str]:
    """Words that carry meaning: no stopwords, no stray letters (the "s" of "bridge’s")."""
    return [w for w in words(text) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())]


@lru_cache(maxsize=1)
def _porter() -> PorterStemmer:
    # Loaded on first use: nltk takes a second to import.
    from nltk.stem.porter import PorterStemmer

    return PorterStemmer()


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    return _porter().stem(word)


def content_stems(text: str) -> list[str]:
    """Content words reduced to their stems, so "raised" matches "raise"."""
    return [stem(w) for w in content_words(text)]


def numbers(text: str) -> set[str]:
    """Numbers as digits without thousands commas; number words from two to ninety too."""
    found = {m.group().replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}
    found |= {_NUMBER_WORDS[w] for w in words(text) if w in _NUMBER_WORDS}
    return found


def _capitalized(text: str) -> Iterable[tuple[str, bool]]:
    """(word lower-cased, whether it opens the sentence or a quotation) for each capitalized
    word, a leading bullet or number left out."""
    for word, opens in capitalized_words(_BULLET.sub("", text.strip())):
        yield word.lower(), opens


def known_names(source: str) -> set[str]:
    """Words the source capitalizes where no sentence starts: the names it gives."""
    return {
        word
        for sentence in split_sentences(source)
        for word, opens in _capitalized(sentence)
        if not opens and word not in STOPWORDS
    }


def names(sentence: str, known: set[str]) -> set[str]:
    """Capitalized words of one sentence that name someone or something: every one not at
    the start, and one at the start when the source is known to use it as a name ("Opposition
    members..." starts with an ordinary word; "Lopez said..." with a name)."""
    return {
        word
        for word, opens in _capitalized(sentence)
        if word not in STOPWORDS and (not opens or word in known)
    }


@dataclass(frozen=True)
class Facts:
    numbers: frozenset[str]
    names: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.numbers or self.names)

    def __str__(self) -> str:
        return ", ".join(sorted(self.numbers) + sorted(self.names))


def sentence_facts(sentence: str, known: set[str]) -> Facts:
    return Facts(frozenset(numbers(sentence)), frozenset(names(sentence, known)))


class SourceFacts:
    """What a source text states, ready for checking many sentences against it."""

    def __init__(self, text: str) -> None:
        self.known_names = known_names(text)
        self.numbers = numbers(text)
        self.words = set(words(text))

    def missing(self, sentence: str) -> Facts:
        """The numbers and names of ``sentence`` that this source does not state."""
        facts = sentence_facts(sentence, self.known_names)
        return Facts(facts.numbers - self.numbers, facts.names - self.words)
