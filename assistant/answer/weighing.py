"""From the stances of a claim's passages to its verdict, weighing each by its strength.

A passage's strength is how far the judge went past what its stance needs, in lift and in
margin (see answer/stance.py). The strongest support and the strongest refutation are compared:
when one outweighs the other by ``DOMINANCE`` or more, it decides (a clear support is not
undone by a refutation the judge barely made); when they are close, the sources disagree
and the claim is CONFLICTING.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.stance import Stance
from assistant.types import Verdict

# How much further one side's strongest passage must go past what its stance needs than
# the other side's for it to decide. On the judgements recorded over the even half of the
# claims, any value from 0.5 up scored as well as never deciding (passages both ways always
# CONFLICTING), and lower ones worse; see the README.
DOMINANCE = 0.5


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
    """How sure the judge was, in words, from how far the passage went past what its
    stance needs (negative: how far it stayed short). The steps follow the spread of
    strengths over the judgements recorded on the even half of the CLIMATE-FEVER claims:
    of the passages that took a side, a tenth went past 0.5, half past 0.2 (support) or
    0.12 (refutation); those that took none mostly stayed within 0.1 of a side."""
    if strength >= 0.5:
        return "sure"
    if strength >= 0.2:
        return "fairly sure"
    if strength >= 0.0:
        return "only just"
    if strength >= -0.1:
        return "nearly took a side"
    return "far from taking a side"
