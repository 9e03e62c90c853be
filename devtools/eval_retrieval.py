"""``assistant eval retrieval``: how often the gold articles are found, against baselines.

The data folder holds ``corpus.jsonl`` (articles) and ``questions.jsonl`` (``question``,
``date`` asked, ``gold_ids``). The corpus goes into a store of its own, kept between runs
under the cache folder. Each question is asked "as of" its date, as a reader would have.

What is scored is what the app uses: the passages ``Retriever.retrieve`` returns, above the
relevance floor, taken as the articles they come from in their order. Each ranking runs
the same path with another retrieval mode; one more row asks the hybrid without the as-of
date, to show what the date is worth.
"""

from __future__ import annotations

import hashlib
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from assistant.errors import ConfigError
from assistant.index.store import ArticleStore
from assistant.ingest.sync import ingest_paths
from assistant.search.retriever import Mode, Retriever, relevant
from assistant.types import Filters, Passage
from devtools.stats import percentile

# (row key, retrieval mode, whether the question is asked as of its date)
RANKINGS: tuple[tuple[str, Mode, bool], ...] = (
    ("hybrid", "hybrid", True),
    ("hybrid-no-as-of", "hybrid", False),
    ("dense", "dense", True),
    ("keyword", "keyword", True),
)
_LABELS = {
    "hybrid": "hybrid",
    "hybrid-no-as-of": "hybrid, no as-of date",
    "dense": "dense",
    "keyword": "BM25",
}


@dataclass(frozen=True)
class Question:
    id: str
    text: str
    asked: date | None
    gold: frozenset[str]


def load_questions(path: Path) -> list[Question]:
    if not path.is_file():
        raise ConfigError(f"{path} is missing: the data folder needs questions.jsonl.")
    questions = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            asked = date.fromisoformat(record["date"]) if record.get("date") else None
            questions.append(
                Question(
                    str(record["id"]), record["question"], asked, frozenset(record["gold_ids"])
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}, line {lineno}: not a question record ({exc})") from exc
    return questions


def eval_store_folder(cache_dir: Path, data_dir: Path) -> Path:
    key = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    return cache_dir / "eval-stores" / f"{data_dir.resolve().name}-{key}"


def retrieved_articles(passages: Sequence[Passage]) -> list[str]:
    """The articles of the retrieved passages, each once, in the order they first appear."""
    return list(dict.fromkeys(p.article_id for p in passages))


def scores(ranked: Sequence[Sequence[str]], gold: Sequence[frozenset[str]]) -> dict[str, float]:
    """Hit@1/4/10 and MRR@10 of any gold id among the ranked distinct articles."""
    hits = {1: 0, 4: 0, 10: 0}
    reciprocal = 0.0
    for articles, wanted in zip(ranked, gold, strict=True):
        position = next((i for i, a in enumerate(articles[:10]) if a in wanted), None)
        if position is None:
            continue
        reciprocal += 1.0 / (position + 1)
        for k in hits:
            if position < k:
                hits[k] += 1
    n = max(len(gold), 1)
    return {
        "hit@1": hits[1] / n,
        "hit@4": hits[4] / n,
        "hit@10": hits[10] / n,
        "mrr@10": reciprocal / n,
    }


def evaluate_retrieval(
    store: ArticleStore, data_dir: Path, top_k: int, min_relevance: float, max_file_mb: float
) -> dict[str, Any]:
    corpus = data_dir / "corpus.jsonl"
    if not corpus.is_file():
        raise ConfigError(f"{corpus} is missing: the data folder needs corpus.jsonl.")
    questions = load_questions(data_dir / "questions.jsonl")
    report = ingest_paths(store, [corpus], max_file_mb)
    results: dict[str, Any] = {
        "questions": len(questions),
        "articles": store.count_articles(),
        "chunks": store.count_chunks(),
        "ingest": report.summary(),
    }
    gold = [q.gold for q in questions]
    for key, mode, as_of in RANKINGS:
        retriever = Retriever(store, store.embeddings, top_k, mode=mode)
        retriever.retrieve("warm-up")
        ranked, latencies = [], []
        for q in questions:
            filters = Filters(as_of=q.asked if as_of else None)
            start = time.perf_counter()
            passages = relevant(retriever.retrieve(q.text, filters), min_relevance)
            latencies.append((time.perf_counter() - start) * 1000)
            ranked.append(retrieved_articles(passages))
        results[key] = {
            **scores(ranked, gold),
            "p50_ms": statistics.median(latencies),
            "p95_ms": percentile(latencies, 95),
        }
    return results


def format_retrieval(results: dict[str, Any]) -> str:
    lines = [
        f"{results['questions']} questions over {results['articles']} articles "
        f"({results['chunks']} chunks)",
        f"{'':22}{'Hit@1':>8}{'Hit@4':>8}{'Hit@10':>8}{'MRR@10':>8}{'p50 ms':>9}{'p95 ms':>9}",
    ]
    for key, _, _ in RANKINGS:
        r = results[key]
        lines.append(
            f"{_LABELS[key]:22}{r['hit@1']:8.3f}{r['hit@4']:8.3f}{r['hit@10']:8.3f}"
            f"{r['mrr@10']:8.3f}{r['p50_ms']:9.1f}{r['p95_ms']:9.1f}"
        )
    return "\n".join(lines)
