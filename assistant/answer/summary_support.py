"""Is each sentence of a summary backed by its article? A rule, no language model: one
article sentence, or two adjacent ones, must state every number and name of the summary
sentence and hold most of its content words (somewhat fewer when the meaning is close by
embedding).

The summary chain holds its sentences to this rule before the reader sees them (see
summary_check), and ``assistant eval summaries`` scores faithfulness by it.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answer.summary_facts import (
    Facts,
    content_stems,
    known_names,
    numbers,
    sentence_facts,
    split_sentences,
)
from assistant.text import words

SPAN_COVERAGE = 0.7
COSINE_THRESHOLD = 0.8
PARAPHRASE_COVERAGE = 0.5
PAIR_COSINE = 0.75
METHOD = (
    "a summary sentence is supported by one article sentence, or two adjacent ones, that "
    "states every number and capitalized name of it and holds "
    f">= {SPAN_COVERAGE:.0%} of its content words (stemmed, stopwords removed), or "
    f">= {PARAPHRASE_COVERAGE:.0%} of them at cosine similarity (MiniLM) >= {COSINE_THRESHOLD}"
    f"; two sentences need both the words and cosine >= {PAIR_COSINE}"
)


@dataclass(frozen=True)
class SentenceSupport:
    sentence: str
    supported: bool
    cosine: float  # similarity to the closest span
    overlap: float  # share of the sentence's content words (stemmed) found in that span
    closest: str  # the article sentence, or two adjacent ones, that best supports it
    missing: str = ""  # numbers and names of the sentence the closest span does not state


def embed_texts(embeddings: Embeddings, texts: list[str]) -> np.ndarray:
    """Unit-length rows; the bundled MiniLM's array path when there is one."""
    if not texts:
        return np.zeros((0, 1), dtype=np.float32)
    embed_array = getattr(embeddings, "embed_array", None)
    if callable(embed_array):
        return np.asarray(embed_array(texts), dtype=np.float32)
    rows = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
    return rows / np.clip(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12, None)


@dataclass(frozen=True)
class _Span:
    text: str
    pair: bool
    numbers: set[str]
    words: set[str]
    stems: set[str]


def _spans(source: list[str]) -> list[_Span]:
    """Each article sentence, then each pair of adjacent ones: a summary sentence may join
    two neighbouring facts, never facts from far apart."""
    texts = source + [f"{a} {b}" for a, b in itertools.pairwise(source)]
    return [
        _Span(
            t,
            n >= len(source),
            numbers(t),
            set(words(t)),
            set(content_stems(t)),
        )
        for n, t in enumerate(texts)
    ]


class _Article:
    """An article's spans, and the vectors of those embedded so far: embedding every span
    of a long article takes seconds on 2 cores, and a sentence needs few of them."""

    def __init__(self, text: str) -> None:
        self.spans = _spans(split_sentences(text))
        self.known_names = known_names(text)
        self.vectors: dict[int, np.ndarray] = {}

    def embed(self, embeddings: Embeddings, indices: Iterable[int]) -> None:
        new = sorted(set(indices) - self.vectors.keys())
        rows = embed_texts(embeddings, [self.spans[i].text for i in new])
        self.vectors.update(zip(new, rows, strict=True))


# Besides every span that could support it, a sentence's closest span is sought among this
# many of those holding most of its words.
_CLOSEST_CANDIDATES = 8


class FaithfulnessJudge:
    """Is each sentence of a summary backed by the article? No language model involved.

    A sentence is supported by one span — an article sentence or two adjacent ones — that
    states every number and name of the sentence and holds most of its content words (or
    somewhat fewer, when the meaning is close by embedding). Words scattered over the whole
    article support nothing: that let reversed roles and invented causes through. Two
    sentences must also be close in meaning to the summary sentence as a whole, or words
    from each could pair one sentence's subject with the other's deed.
    """

    def __init__(
        self,
        embeddings: Embeddings,
        coverage: float = SPAN_COVERAGE,
        cosine_threshold: float = COSINE_THRESHOLD,
        paraphrase_coverage: float = PARAPHRASE_COVERAGE,
        pair_cosine: float = PAIR_COSINE,
    ) -> None:
        self.embeddings = embeddings
        self.coverage = coverage
        self.cosine_threshold = cosine_threshold
        self.paraphrase_coverage = paraphrase_coverage
        self.pair_cosine = pair_cosine
        self._articles: dict[str, _Article] = {}

    def _article(self, text: str) -> _Article:
        """Kept: each article is judged for its summary, the summary before the check, and
        its references."""
        if text not in self._articles:
            self._articles[text] = _Article(text)
        return self._articles[text]

    def _passes(self, coverage: float, cosine: float, pair: bool) -> bool:
        if pair:
            return coverage >= self.coverage and cosine >= self.pair_cosine
        return coverage >= self.coverage or (
            cosine >= self.cosine_threshold and coverage >= self.paraphrase_coverage
        )

    def _may_pass(self, coverage: float, pair: bool) -> bool:
        """Whether the span could support the sentence, whatever the cosine."""
        return coverage >= (self.coverage if pair else self.paraphrase_coverage)

    def judge(self, summary: str, article: str) -> list[SentenceSupport]:
        sentences = split_sentences(summary)
        if not sentences:
            return []
        source = self._article(article)
        if not source.spans:
            return [SentenceSupport(sentence, False, 0.0, 0.0, "") for sentence in sentences]
        sentence_vectors = embed_texts(self.embeddings, sentences)
        judged = []
        for row, sentence in enumerate(sentences):
            facts = sentence_facts(sentence, source.known_names)
            stems = set(content_stems(sentence))
            words_held = []
            for span in source.spans:
                # A sentence of stopwords alone says nothing the words could check.
                coverage = len(stems & span.stems) / len(stems) if stems else 0.0
                missing = Facts(facts.numbers - span.numbers, facts.names - span.words)
                words_held.append((coverage, missing))
            # Only spans that could support the sentence, and the likeliest of the rest for
            # its closest, need their meaning compared.
            candidates = {
                i
                for i, (coverage, missing) in enumerate(words_held)
                if not missing and self._may_pass(coverage, source.spans[i].pair)
            }
            by_words = sorted(
                range(len(source.spans)),
                key=lambda i: (not words_held[i][1], words_held[i][0]),
                reverse=True,
            )
            candidates.update(by_words[:_CLOSEST_CANDIDATES])
            source.embed(self.embeddings, candidates)
            best: tuple[tuple[bool, bool, float], SentenceSupport] | None = None
            for i in sorted(candidates):
                span = source.spans[i]
                coverage, missing = words_held[i]
                cosine = float(source.vectors[i] @ sentence_vectors[row])
                supported = not missing and self._passes(coverage, cosine, span.pair)
                rank = (supported, not missing, coverage + cosine)
                if best is None or rank > best[0]:
                    support = SentenceSupport(
                        sentence, supported, cosine, coverage, span.text, str(missing)
                    )
                    best = (rank, support)
            judged.append(best[1] if best else SentenceSupport(sentence, False, 0.0, 0.0, ""))
        return judged
