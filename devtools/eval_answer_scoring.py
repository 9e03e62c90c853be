"""Scoring one answer to a multiple-choice news question, without a model.

An answer is right when it names the gold choice and no other. Words and numbers are
normalized first, so "$12,600,000" names "$12.6 million", "3%" names "3 percent", and
"New York City's famed Times Square" names "New York City's Times Square". A choice is
named when its content words occur in the answer in order, close together; a choice
that is part of another named choice ("New York" inside "New York City") does not count
on its own. Questions that list their options may also be answered by letter ("(B)").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.answer.attribution import abstains
from assistant.answer.wording import content_words, normalize

Outcome = Literal["right", "wrong", "abstained"]

# How far apart a choice's words may be in the answer: a few words may come between them
# ("famed"), but words scattered over a paragraph do not name the choice.
_SLACK = 3
_MIN_STEM = 5
_ENDINGS = frozenset({"s", "es", "n", "ns", "an", "ans", "ian", "ians", "ese"})
_LETTER = re.compile(r"(?:\(([A-Da-d])\)|\b([A-D])\)|\boption\s+([A-Da-d])\b)")


def _same_word(wanted: str, token: str) -> bool:
    """Equal, or the same word with a plural or demonym ending ("europe" / "european",
    "russia" / "russians"); the stem has at least five letters, so short words never
    match this way."""
    if wanted == token:
        return True
    short, long = sorted((wanted, token), key=len)
    return (
        len(short) >= _MIN_STEM
        and not short[0].isdigit()
        and long.startswith(short)
        and long[len(short) :] in _ENDINGS
    )


def _occurs_close(wanted: Sequence[str], tokens: Sequence[str]) -> bool:
    """``wanted`` occurs in ``tokens`` in order, spanning at most len + slack tokens."""
    if not wanted:
        return False
    for start, token in enumerate(tokens):
        if not _same_word(wanted[0], token):
            continue
        position, found = start, 1
        while found < len(wanted) and position + 1 < len(tokens):
            position += 1
            if position - start >= len(wanted) + _SLACK:
                break
            if _same_word(wanted[found], tokens[position]):
                found += 1
        if found == len(wanted):
            return True
    return False


def named_choices(answer: str, choices: Sequence[str], by_letter: bool = False) -> list[int]:
    """Indexes of the choices the answer names, in choice order."""
    tokens = normalize(answer)
    wanted = [content_words(normalize(choice)) for choice in choices]
    named = {i for i, words in enumerate(wanted) if _occurs_close(words, tokens)}
    # "New York" is not named on its own by an answer that says "New York City".
    named -= {
        i
        for i in named
        for j in named
        if i != j and set(wanted[i]) < set(wanted[j]) and len(wanted[i]) < len(wanted[j])
    }
    if by_letter:
        for match in _LETTER.finditer(answer):
            letter = next(g for g in match.groups() if g)
            index = ord(letter.upper()) - ord("A")
            if index < len(choices):
                named.add(index)
    return sorted(named)


def outcome(answer: str, choices: Sequence[str], gold: int, by_letter: bool = False) -> Outcome:
    """Right: the gold choice and no other is named. Abstained: no choice named and the
    answer says the articles do not tell. Anything else is wrong."""
    named = named_choices(answer, choices, by_letter)
    if named == [gold]:
        return "right"
    if not named and abstains(answer):
        return "abstained"
    return "wrong"


@dataclass(frozen=True)
class Tally:
    right: int = 0
    wrong: int = 0
    abstained: int = 0

    def add(self, result: Outcome) -> Tally:
        return Tally(
            self.right + (result == "right"),
            self.wrong + (result == "wrong"),
            self.abstained + (result == "abstained"),
        )

    @property
    def total(self) -> int:
        return self.right + self.wrong + self.abstained

    def share(self, result: Outcome) -> float:
        return getattr(self, result) / (self.total or 1)
