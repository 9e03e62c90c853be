"""Which words of a passage bear on a claim.

The stance of a passage is judged on a short excerpt, the sentences that share most
words with the claim, and that excerpt is what the reader sees quoted. Judging exactly
what is shown keeps verdict and evidence from drifting apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from assistant.index.keywords import query_terms
from assistant.text import sentences

_MAX_SENTENCES = 2
_MAX_WORDS = 90


@dataclass(frozen=True)
class Excerpt:
    text: str
    overlap: float  # share of the claim's content words in its best sentence
    best: str  # that sentence


def _overlap(wanted: set[str], sentence: str) -> float:
    """Share of the claim's content words (``wanted``) in the sentence."""
    return len(wanted & set(query_terms(sentence))) / (len(wanted) or 1)


def evidence_excerpt(claim: str, text: str, min_overlap: float = 0.0) -> Excerpt:
    """The one or two sentences of ``text`` that share most words with the claim, in
    their order in the text; whole sentences, so the excerpt verifies as a quote. A
    second sentence joins only if it holds at least ``min_overlap`` of the claim's words.
    Joined by " … " when they are not adjacent."""
    parts = sentences(text) or [text.strip()]
    wanted = set(query_terms(claim))
    overlaps = [_overlap(wanted, part) for part in parts]
    ranked = sorted(range(len(parts)), key=lambda i: (-overlaps[i], i))
    chosen = [ranked[0]]
    for index in ranked[1:_MAX_SENTENCES]:
        words = sum(len(parts[i].split()) for i in [*chosen, index])
        if overlaps[index] > 0 and overlaps[index] >= min_overlap and words <= _MAX_WORDS:
            chosen.append(index)
    chosen.sort()
    pieces = [parts[chosen[0]]]
    for previous, index in pairwise(chosen):
        pieces.append(("" if index == previous + 1 else "… ") + parts[index])
    return Excerpt(" ".join(pieces), overlaps[ranked[0]], parts[ranked[0]])
