"""From the stances of a claim's passages to its verdict, weighing each by its strength.

A passage's strength is how far the judge's lift went past the threshold of its stance
(see answer/stance.py). The strongest support and the strongest refutation are compared:
when one outweighs the other by ``DOMINANCE`` or more, it decides (a clear support is not
undone by a refutation the judge barely made); when they are close, the sources disagree
and the claim is CONFLICTING.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.stance import Stance
from assistant.types import Verdict

# How much further one side's strongest passage must go past its threshold than the other
# side's for it to decide. Chosen with `assistant eval claims --split even` (the figures in
# the README's fact-check section come from the odd half); see the README.
DOMINANCE = 2.0


def weigh(stances: Sequence[tuple[Stance, float]], dominance: float = DOMINANCE) -> Verdict:
    """The verdict of (stance, strength) pairs, one per passage that took a side."""
    support = max((s for stance, s in stances if stance == "supports"), default=None)
    refute = max((s for stance, s in stances if stance == "refutes"), default=None)
    if support is not None and refute is not None:
        if support - refute >= dominance:
            return "SUPPORTED"
        if refute - support >= dominance:
            return "REFUTED"
        return "CONFLICTING"
    if support is not None:
        return "SUPPORTED"
    if refute is not None:
        return "REFUTED"
    return "NOT ENOUGH INFO"


def certainty(strength: float) -> str:
    """How sure the judge was, in words, from how far its lift went past the threshold
    (negative: how far it stayed below)."""
    if strength >= 3.0:
        return "sure"
    if strength >= 1.0:
        return "fairly sure"
    if strength >= 0.0:
        return "only just"
    if strength >= -1.5:
        return "nearly took a side"
    return "far from taking a side"
