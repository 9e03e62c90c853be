"""Find the passages that answer a question.

Hybrid: dense (Chroma) and keyword (BM25, FTS5) rankings fused by reciprocal rank fusion,
then a preference for the time the question is about, then a selection that spreads the
context over articles and drops syndicated copies of the same text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from langchain_core.embeddings import Embeddings

from assistant.index.store import ArticleStore
from assistant.search.timeframe import Timeframe, read_timeframe
from assistant.text import day_number
from assistant.text import shingles as text_shingles
from assistant.types import Filters, Passage

Mode = Literal["hybrid", "dense", "keyword"]

_RRF_K = 60  # the constant of Cormack et al.; flattens the head of each ranking
# How much more an article in the wanted time counts than one far outside it: news questions
# are about their time, and the same words match older stories on the same subject.
_DATE_WEIGHT = 4.0
_RECENT_DAYS = 7
_DECAY_DAYS = 14.0
_ARTICLE_REPEAT_PENALTY = 0.5  # each further passage from the same article counts half
# Syndicated copies among the chosen passages: the exact Jaccard similarity of their 4-word
# shingles. Not the MinHash rule of ingest (5-word shingles at 0.8, in ingest.duplicates):
# that compares whole articles, where a 64-value estimate is close enough; two copies of a
# story are cut into chunks at different places, so their passages overlap less than the
# articles do, and a passage is short enough to compare exactly.
_SHINGLE_WORDS = 4
_DUPLICATE_JACCARD = 0.7


@dataclass
class Candidate:
    passage: Passage
    fused: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)


def date_preference(published: str, timeframe: Timeframe, reference: date | None) -> float:
    """1 for an article in the wanted time, falling off with the distance from it; 0 when
    the question asks for no particular time or the article has no date."""
    if not published or not (timeframe.is_set or reference):
        return 0.0
    try:
        day = date.fromisoformat(published)
    except ValueError:
        return 0.0
    if timeframe.since or timeframe.until:
        start = timeframe.since or date.min
        end = timeframe.until or date.max
        distance = (start - day).days if day < start else (day - end).days if day > end else 0
        return math.exp(-max(distance, 0) / _DECAY_DAYS)
    if reference is None:
        return 0.0
    age = (reference - day).days
    if age < 0:
        return 0.0
    return 1.0 if age <= _RECENT_DAYS else math.exp(-(age - _RECENT_DAYS) / _DECAY_DAYS)


class Retriever:
    def __init__(
        self,
        store: ArticleStore,
        embeddings: Embeddings,
        top_k: int,
        candidates: int = 50,
        mode: Mode = "hybrid",
    ) -> None:
        self.store = store
        self.embeddings = embeddings
        self.top_k = top_k
        self.candidates = candidates
        self.mode = mode

    def rank(
        self, question: str, filters: Filters | None = None, today: date | None = None
    ) -> list[Candidate]:
        """Candidate chunks, best first, after fusion and the date preference."""
        filters = filters or Filters()
        vector = self.embeddings.embed_query(question)
        reference = filters.as_of or today
        timeframe = read_timeframe(question, reference or date.today())
        pool: dict[str, Candidate] = {}
        if self.mode in ("hybrid", "dense"):
            self._add_dense(pool, vector, filters)
        if self.mode in ("hybrid", "keyword"):
            self._add_keyword(pool, question, vector, filters, "keyword")
            if self.mode == "hybrid" and (timeframe.since or timeframe.recent) and reference:
                # Words about time ("this week") also search inside that time, so stories of
                # the week are in the pool even when older ones match the words better.
                since = timeframe.since or reference - timedelta(days=_RECENT_DAYS)
                until = min(timeframe.until or reference, filters.last_day or date.max)
                window = replace(
                    filters, since=max(since, filters.since or since), until=until, as_of=None
                )
                self._add_keyword(pool, question, vector, window, "keyword-window")
        # Without an "as of" date or words about time, no date is preferred. The single
        # modes are the plain baselines: similarity alone.
        prefer_recent = reference if (filters.as_of or timeframe.is_set) else None
        if self.mode != "hybrid":
            timeframe, prefer_recent = Timeframe(), None
        for candidate in pool.values():
            rrf = sum(1.0 / (_RRF_K + r + 1) for r in candidate.ranks.values())
            boost = date_preference(candidate.passage.published, timeframe, prefer_recent)
            candidate.fused = rrf * (1.0 + _DATE_WEIGHT * boost)
        return sorted(pool.values(), key=lambda c: c.fused, reverse=True)

    def _add_dense(self, pool: dict[str, Candidate], vector: list[float], filters: Filters) -> None:
        # Chroma answers an unfiltered query from its HNSW index in milliseconds but a
        # filtered one by scanning; the "as of" limit is applied here to a deeper list.
        where = replace(filters, as_of=None).where()
        last = filters.last_day.isoformat() if filters.last_day else None
        found = self.store.search(vector, self.candidates * 2, where)
        found = [p for p in found if last is None or (p.published and p.published <= last)]
        for rank, passage in enumerate(found[: self.candidates]):
            pool.setdefault(passage.chunk_id, Candidate(passage)).ranks["dense"] = rank

    def _add_keyword(
        self,
        pool: dict[str, Candidate],
        question: str,
        vector: list[float],
        filters: Filters,
        name: str,
    ) -> None:
        last = filters.last_day
        hits = self.store.keyword_search(
            question,
            self.candidates,
            since_day=day_number(filters.since) if filters.since else None,
            until_day=day_number(last) if last else None,
            source=filters.source,
            article_ids=filters.article_ids,
        )
        missing = [h.chunk_id for h in hits if h.chunk_id not in pool]
        for passage in self.store.passages_by_id(missing, vector):
            pool[passage.chunk_id] = Candidate(passage)
        for rank, hit in enumerate(hits):
            if hit.chunk_id in pool:
                pool[hit.chunk_id].ranks[name] = rank

    def retrieve(self, question: str, filters: Filters | None = None) -> list[Passage]:
        """The passages for a prompt: spread over articles, syndicated copies dropped."""
        ranked = self.rank(question, filters)
        chosen: list[Passage] = []
        chosen_shingles: list[set[str]] = []
        per_article: dict[str, int] = {}
        remaining = list(ranked)
        while remaining and len(chosen) < self.top_k:
            # Greedy: each further passage of an article already used counts for less, so
            # a question spanning several articles gets passages from each.
            best = max(
                remaining,
                key=lambda c: (
                    c.fused * _ARTICLE_REPEAT_PENALTY ** per_article.get(c.passage.article_id, 0)
                ),
            )
            remaining.remove(best)
            shingles = text_shingles(best.passage.text, _SHINGLE_WORDS)
            if any(
                len(shingles & other) / max(len(shingles | other), 1) >= _DUPLICATE_JACCARD
                for other in chosen_shingles
            ):
                continue  # the same text again, from another outlet or a repeated page
            chosen.append(best.passage)
            chosen_shingles.append(shingles)
            per_article[best.passage.article_id] = per_article.get(best.passage.article_id, 0) + 1
        return chosen


def relevant(passages: Sequence[Passage], floor: float) -> list[Passage]:
    """The passages similar enough to the question to be used at all (the relevance floor,
    ASSISTANT_MIN_RELEVANCE): below it, a passage only shares words with the question."""
    return [p for p in passages if p.score >= floor]
