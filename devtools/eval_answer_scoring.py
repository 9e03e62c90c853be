"""Scoring one answer to a multiple-choice news question, without a model.

An answer is right when it names the gold choice and no other. Words and numbers are
normalized first, so "$12,600,000" names "$12.6 million", "3%" names "3 percent", and
"New York City's famed Times Square" names "New York City's Times Square" (the rule is
the product's own, in ``assistant.answer.mentions``). Questions that list their options
may also be answered by letter ("(B)"). Citation marks are left out: "[2]" names no number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from assistant.answer.attribution import abstains
from assistant.answer.context import CITATION
from assistant.answer.mentions import mentioned

Outcome = Literal["right", "wrong", "abstained"]

_LETTER = re.compile(r"(?:\(([A-Da-d])\)|\b([A-D])\)|\boption\s+([A-Da-d])\b)")


def named_choices(answer: str, choices: Sequence[str], by_letter: bool = False) -> list[int]:
    """Indexes of the choices the answer names, in choice order. Citation marks are not
    words of the answer: "[2]" must not name a choice "2.0"."""
    named = set(mentioned(CITATION.sub(" ", answer), choices))
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
