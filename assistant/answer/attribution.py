"""Citations computed, not trusted: each sentence of an answer is matched to the passages
that support it after the answer is written.

A small model numbers its citations carelessly: a number past the passages given, the
wrong passage, a "[2]" standing alone as a sentence. So the numbers it wrote are only a
first guess. A passage supports a sentence when one of its sentences (or two adjacent
ones) holds at least ``MIN_COVERAGE`` of the sentence's content words, and the passage
(with its headline and date) holds every number of the sentence. A cited number that does
not support its sentence is replaced by the passage that does, or dropped; a sentence no
passage supports is marked, never given a citation. The supporting sentences are the quote
shown beside the citation, word for word from the passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise

from assistant.answer.context import CITATION
from assistant.answer.summary_facts import SourceFacts
from assistant.answer.wording import normalize, numbers
from assistant.index.keywords import query_terms
from assistant.text import SENTENCE_END, sentences
from assistant.types import Attribution, CitedSentence, Passage, Support

# Chosen on the odd-numbered questions of the news benchmark: lower lets sentences that
# share a name or two with a passage pass as supported.
MIN_COVERAGE = 0.5

# What the assistant says when the articles do not answer: the prompt's wording, the
# chain's own messages, and the close variants small models write. Such a sentence needs
# no source.
_ABSTAIN = re.compile(
    r"\b(?:do|does|did)\s+not\s+(?:say|cover|mention|contain|state|specify|provide)"
    r"|\bdon't\s+(?:say|cover|mention)|\bfound nothing\b|\bno answer this time\b"
    r"|\bnot\s+(?:found\s+)?in\s+the\s+(?:articles|passages|sources)\b"
    r"|\bno information\b|\bnot mentioned\b",
    re.IGNORECASE,
)
_DANGLING = re.compile(r"(?:\s+(?:and|or|with)|\s*,)\s*([.!?]?)$", re.IGNORECASE)


def abstains(text: str) -> bool:
    return bool(_ABSTAIN.search(text))


def _numbers_in(text: str) -> list[int]:
    found: list[int] = []
    for match in CITATION.finditer(text):
        found += [int(part) for part in re.split(r"\s*[,;]\s*", match.group(1))]
    return found


def split_cited(answer: str) -> list[tuple[str, tuple[int, ...], bool]]:
    """(sentence without citations, numbers written on it, starts a line) for each
    sentence. Citations that open a sentence, or stand alone, belong to the one before."""
    pieces: list[tuple[str, list[int], bool]] = []
    for line in answer.splitlines():
        for position, raw in enumerate(SENTENCE_END.split(line.strip())):
            if not raw.strip():
                continue
            leading = re.match(r"^(?:\s*\[[\d,;\s]+\])+", raw)
            if leading and pieces:
                pieces[-1][1].extend(_numbers_in(leading.group(0)))
                raw = raw[leading.end() :]
            text = " ".join(CITATION.sub(" ", raw).split())
            text = re.sub(r"\s+([.!?,;:])", r"\1", text)
            if CITATION.search(raw):
                # "spoke with Sánchez and [2]." : the citation stood where words should be.
                text = _DANGLING.sub(r"\1", text)
            if not re.search(r"\w", text):
                if pieces:
                    pieces[-1][1].extend(_numbers_in(raw))
                continue
            pieces.append((text, _numbers_in(raw), position == 0 and bool(pieces)))
    return [(text, tuple(dict.fromkeys(nums)), new_line) for text, nums, new_line in pieces]


def support(sentence: str, number: int, passage: Passage) -> Support | None:
    """How passage ``number`` supports the sentence, or None."""
    wanted = set(query_terms(sentence))
    if not wanted:
        return None
    needed = numbers(normalize(sentence))
    held = numbers(normalize(f"{passage.title} {passage.published} {passage.text}"))
    if not needed <= held:
        return None
    # Sharing half the words is not support when a name is missing: "Zelenskyy spoke with
    # Sánchez" is not supported by a passage about Zelenskyy alone.
    if SourceFacts(f"{passage.title}.\n{passage.text}").missing(sentence).names:
        return None
    parts = sentences(passage.text)
    windows = parts + [f"{a} {b}" for a, b in pairwise(parts)]
    best, best_coverage = "", 0.0
    for window in windows:
        coverage = len(wanted & set(query_terms(window))) / len(wanted)
        if coverage > best_coverage or (coverage == best_coverage and len(window) < len(best)):
            best, best_coverage = window, coverage
    if best_coverage < MIN_COVERAGE:
        return None
    return Support(number, best, best_coverage)


def attribute(answer: str, passages: Sequence[Passage]) -> Attribution:
    """Each sentence with the passages that support it: the ones the model cited when they
    do, else the one passage that supports it best, else none (and it is marked)."""
    result = []
    seen: set[str] = set()
    for text, written, new_line in split_cited(answer):
        # A small model sometimes writes the same sentence twice; the reader sees it once.
        key = " ".join(text.lower().split())
        if key in seen:
            continue
        seen.add(key)
        if abstains(text) or not query_terms(text):
            result.append(CitedSentence(text, written, (), False, new_line))
            continue
        checked = [
            s
            for n in written
            if 1 <= n <= len(passages) and (s := support(text, n, passages[n - 1])) is not None
        ]
        if not checked:
            others = [
                s for n, p in enumerate(passages, start=1) if (s := support(text, n, p)) is not None
            ]
            checked = [max(others, key=lambda s: s.coverage)] if others else []
        result.append(CitedSentence(text, written, tuple(checked), True, new_line))
    return Attribution(result)
