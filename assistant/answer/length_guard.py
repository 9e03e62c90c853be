"""Holding a small model to the length asked for. Told "2 to 3 sentences", the 0.5B model
often writes twelve; the summary is cut at the last sentence (or bullet) the length allows,
while it streams. Sentences are shown once they have ended, so the reader never sees text
that is then taken back."""

from __future__ import annotations

import re

from assistant.answer.lengths import LENGTHS
from assistant.text import STOP_BEFORE_START
from assistant.types import Length

# Stops that end an abbreviation or a list number, not a sentence: "U.S.", "a.m.", "e.g.",
# "Mr.", "Inc.", "Jan.", and "1." at the start of a line. Matched only right at the stop
# being weighed (\Z, searched up to it): an earlier "plan B." must not count.
_ABBREVIATION = re.compile(
    r"(?:\b[A-Za-z]|\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Gen|Gov|Sen|Rep|Prof|No|vs|etc|approx|Inc"
    r"|Corp|Ltd|Co|Mt|Ave|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|^[ \t]*\d+)\.\Z",
    re.MULTILINE,
)
_BULLET = re.compile(r"^[ \t]*(?:[-*•]|\d+[.)])[ \t]", re.MULTILINE)


def finished_ends(text: str, length: Length) -> list[int]:
    """Where each sentence (or bullet) of ``text`` ends, for those known to be over: the
    next one has visibly begun."""
    if LENGTHS[length].unit == "bullets":
        return [m.start() for m in _BULLET.finditer(text)][1:]
    ends = []
    for match in STOP_BEFORE_START.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if not _ABBREVIATION.search(text, line_start, match.start() + 1):
            ends.append(match.end())
    return ends


def allowed_end(text: str, length: Length) -> int | None:
    """Where ``text`` must end to keep to ``length``, once it has gone past it; None while
    it is still within."""
    limit = LENGTHS[length].most
    ends = finished_ends(text, length)
    if LENGTHS[length].unit == "bullets":
        return len(text[: ends[limit - 1]].rstrip()) if len(ends) >= limit else None
    return ends[limit - 1] if len(ends) >= limit else None
