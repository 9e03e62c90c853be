"""The salient sentences of an article, chosen without a model: news puts the main facts
first, and a sentence that shares many words with the rest of the article is about its
subject. Used as a summary of its own, in which every word is the article's, and in place
of a model summary whose every sentence failed the check against the article."""

from __future__ import annotations

import re
from collections import Counter

from assistant.answer.summary_facts import content_stems, split_sentences

# How much the place in the article weighs against the share of words with the rest.
POSITION_WEIGHT = 0.7
# Shorter lines are bylines and captions ("Nick Scholfield (left)"), not news.
MIN_WORDS = 6
# A line without a closing stop is a heading ("Global Peace Summit and the Global South").
_ENDS_LIKE_A_SENTENCE = re.compile(r"[.!?][\"”’')\]]*$")
# A sentence that repeats this share of a chosen one's words adds nothing (a headline
# restated in the first paragraph is common).
REDUNDANT = 0.6


def salience(sentences: list[str]) -> list[float]:
    """A score for each sentence: its place (earlier is higher) and its centrality (how
    often the article uses its content words elsewhere, on average)."""
    stems = [set(content_stems(s)) for s in sentences]
    frequency = Counter(w for words in stems for w in words)
    centrality = [
        sum(frequency[w] - 1 for w in words) / len(words) if words else 0.0 for words in stems
    ]
    top = max(centrality, default=0.0) or 1.0
    return [
        POSITION_WEIGHT / (1 + n) ** 0.5 + (1 - POSITION_WEIGHT) * c / top
        for n, c in enumerate(centrality)
    ]


def key_sentences(text: str, count: int, max_words: int) -> list[str]:
    """Up to ``count`` of the article's most salient sentences, within about ``max_words``
    words (at least one sentence), in the article's order."""
    sentences = [
        s
        for s in split_sentences(text)
        if len(s.split()) >= MIN_WORDS and _ENDS_LIKE_A_SENTENCE.search(s)
    ]
    scores = salience(sentences)
    chosen: list[int] = []
    used = 0
    for n in sorted(range(len(sentences)), key=lambda i: -scores[i]):
        if len(chosen) >= count:
            break
        size = len(sentences[n].split())
        if chosen and used + size > max_words:
            continue
        stems = set(content_stems(sentences[n]))
        if any(
            len(stems & set(content_stems(sentences[c]))) >= REDUNDANT * len(stems) for c in chosen
        ):
            continue
        chosen.append(n)
        used += size
    return [sentences[n] for n in sorted(chosen)]
