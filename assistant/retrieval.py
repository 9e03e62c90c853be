"""Find the passages that answer a question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.store import ArticleStore, Passage


@dataclass(frozen=True)
class Filters:
    """Restrict retrieval to a publication-date range and/or one source."""

    since: date | None = None
    until: date | None = None
    source: str | None = None

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.since:
            clauses.append({"day": {"$gte": int(self.since.strftime("%Y%m%d"))}})
        if self.until:
            clauses.append({"day": {"$lte": int(self.until.strftime("%Y%m%d"))}})
        if self.source:
            clauses.append({"source": self.source})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


class Retriever:
    """Dense retrieval with a cap on passages per article, so one long article cannot fill
    the whole context and answers can draw on several articles."""

    def __init__(
        self, store: ArticleStore, embeddings: Embeddings, top_k: int, per_article: int = 3
    ) -> None:
        self.store = store
        self.embeddings = embeddings
        self.top_k = top_k
        self.per_article = per_article

    def retrieve(self, question: str, filters: Filters | None = None) -> list[Passage]:
        vector = self.embeddings.embed_query(question)
        where = filters.where() if filters else None
        candidates = self.store.search(vector, self.top_k * 4, where)
        chosen: list[Passage] = []
        per_article: dict[str, int] = {}
        for passage in candidates:
            if per_article.get(passage.article_id, 0) >= self.per_article:
                continue
            per_article[passage.article_id] = per_article.get(passage.article_id, 0) + 1
            chosen.append(passage)
            if len(chosen) == self.top_k:
                break
        return chosen
