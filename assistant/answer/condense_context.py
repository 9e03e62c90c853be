"""More articles in the same prompt budget: each article's sentences that bear on the
question, instead of whole chunks.

A 700-token budget holds about three 200-token chunks, and the article that answers is
often the fourth or the sixth retrieved. Most of a chunk does not bear on the question
(datelines, captions, background), so each retrieved article is cut down to the
sentences that share most words with the question, kept in reading order, within a
per-article allowance; passages of one article become one block (one headline and date),
and a sentence repeated by overlapping chunks appears once. Every kept sentence is the
stored text word for word, so what the reader is shown as a source is what the model read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise

from assistant.index.keywords import query_terms
from assistant.text import sentences
from assistant.tokens import count_tokens
from assistant.types import Passage

# Tokens of sentences kept per article at least (more when few articles are found): room
# for the sentence that answers and the one that names what the question asks about, for
# the six articles retrieval gives at most in 700 tokens.
ARTICLE_TOKENS = 70
_GAP = " … "


def _score(sentence: str, wanted: set[str]) -> int:
    return len(wanted & set(query_terms(sentence)))


def condense_article(chunks: Sequence[Passage], wanted: set[str], allowance: int) -> Passage:
    """One passage for one article: its most question-bearing sentences, in order."""
    ordered = sorted(chunks, key=lambda p: p.index)
    parts: list[str] = []
    for chunk in ordered:
        parts += [s for s in sentences(chunk.text) if s not in parts]
    scores = [_score(s, wanted) for s in parts]
    matched = sorted(range(len(parts)), key=lambda i: (-scores[i], i))
    # Then the sentence after each one that names what is asked about: the deed is often
    # told there in other words ("the leaders discussed" after a sentence naming them).
    following: list[int] = []
    ranked: list[int] = []
    for i in (i for i in matched if scores[i]):
        ranked.append(i)
        if i + 1 < len(parts) and not scores[i + 1]:
            following.append(i + 1)
            ranked.append(i + 1)
    ranked += [i for i in matched if i not in ranked]
    chosen: list[int] = []
    used = 0
    for i in ranked:
        cost = count_tokens(parts[i]) + 1
        if i in chosen or (chosen and (i not in following and scores[i] == 0)):
            continue
        if chosen and used + cost > allowance:
            continue
        chosen.append(i)
        used += cost
    chosen.sort()
    text = parts[chosen[0]] if chosen else ""
    for previous, index in pairwise(chosen):
        text += (" " if index == previous + 1 else _GAP) + parts[index]
    best = max(chunks, key=lambda p: p.score)
    return replace(best, text=text)


def condense_passages(
    passages: Sequence[Passage], question: str, allowance: int = ARTICLE_TOKENS
) -> list[Passage]:
    """One condensed passage per article, in the order the articles were first retrieved."""
    wanted = set(query_terms(question))
    by_article: dict[str, list[Passage]] = {}
    for passage in passages:
        by_article.setdefault(passage.article_id, []).append(passage)
    return [condense_article(chunks, wanted, allowance) for chunks in by_article.values()]
