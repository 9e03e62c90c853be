"""``assistant eval stories``: how well articles are grouped into stories, and what grouping
costs.

The labelled pairs come from the RealTimeQA questions (``questions.jsonl``), by this rule:

- same story: two articles that are gold for the same question (and, through an article
  gold for two questions, the articles of both);
- different stories: gold articles of two different questions asked in different weeks
  ("easy": mostly days apart), and of two different questions asked in the same week
  ("hard": published in the same days; a weekly news quiz asks about different events).

Articles linked through a shared gold article are never labelled different. Each pair is
predicted "same story" when both articles are in one story (a syndicated copy included).
"""

from __future__ import annotations

import itertools
import json
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.eval_io import read_jsonl

SAME, EASY, HARD = "same story", "different weeks", "same week"


@dataclass(frozen=True)
class LabelledPair:
    first: str
    second: str
    label: str  # SAME, EASY (different) or HARD (different)

    @property
    def same(self) -> bool:
        return self.label == SAME


def labelled_pairs(questions: Iterable[dict[str, Any]]) -> list[LabelledPair]:
    """Pairs of gold articles with their label, by the rule in the module's docstring."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    weeks: dict[str, set[str]] = defaultdict(set)  # gold article -> weeks of its questions
    asked: dict[str, set[str]] = defaultdict(set)  # gold article -> its questions
    for question in questions:
        gold = [str(g) for g in question.get("gold_ids", [])]
        for article in gold:
            weeks[article].add(str(question.get("date", "")))
            asked[article].add(str(question.get("id", "")))
            root(article)
        for a, b in itertools.pairwise(gold):
            parent[root(a)] = root(b)
    pairs = []
    for a, b in itertools.combinations(sorted(parent), 2):
        if root(a) == root(b):
            pairs.append(LabelledPair(a, b, SAME))
        elif not asked[a] & asked[b]:
            pairs.append(LabelledPair(a, b, HARD if weeks[a] & weeks[b] else EASY))
    return pairs


def pair_scores(pairs: list[LabelledPair], story_of: dict[str, str]) -> dict[str, Any]:
    """Pairwise precision and recall of "same story", and the false-link rate by kind."""

    def together(pair: LabelledPair) -> bool:
        story = story_of.get(pair.first, "")
        return bool(story) and story == story_of.get(pair.second, "")

    predicted = [together(p) for p in pairs]
    true_pos = sum(1 for p, got in zip(pairs, predicted, strict=True) if got and p.same)
    false_pos = sum(1 for p, got in zip(pairs, predicted, strict=True) if got and not p.same)
    positives = sum(1 for p in pairs if p.same)
    by_kind = {
        kind: {
            "pairs": sum(1 for p in pairs if p.label == kind),
            "grouped together": sum(
                1 for p, got in zip(pairs, predicted, strict=True) if got and p.label == kind
            ),
        }
        for kind in (SAME, HARD, EASY)
    }
    return {
        "pairs": len(pairs),
        "precision": true_pos / (true_pos + false_pos) if true_pos + false_pos else None,
        "recall": true_pos / positives if positives else None,
        "by kind": by_kind,
    }


def load_questions(data: Path) -> list[dict[str, Any]]:
    return [record for _, record in read_jsonl(data / "questions.jsonl", "the questions")]


def corpus_sample(data: Path, count: int, folder: Path) -> Path:
    """The first ``count`` records of the corpus, as a file of their own to ingest."""
    records = read_jsonl(data / "corpus.jsonl", "the articles")[:count]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "sample.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for _, r in records), encoding="utf-8"
    )
    return path


class TimedGrouping:
    """Wraps a store's grouper and adds up the time its ``add`` takes."""

    def __init__(self, grouper: Any) -> None:
        self.grouper = grouper
        self.seconds = 0.0
        self.articles = 0

    def add(self, article: Any) -> str:
        started = time.perf_counter()
        try:
            return str(self.grouper.add(article))
        finally:
            self.seconds += time.perf_counter() - started
            self.articles += 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.grouper, name)


def format_stories(results: dict[str, Any]) -> str:
    quality = results["quality"]
    lines = [
        f"Labelled pairs: {quality['pairs']} (rule: see devtools/eval_stories.py)",
        f"pairwise precision {_fmt(quality['precision'])}, recall {_fmt(quality['recall'])}",
        "",
        "| pairs | labelled | grouped together |",
        "| --- | --- | --- |",
    ]
    for kind, row in quality["by kind"].items():
        lines.append(f"| {kind} | {row['pairs']} | {row['grouped together']} |")
    speed = results["speed"]
    lines += [
        "",
        f"Stories (>= 2 articles) over {speed['articles']} articles: {speed['stories']}",
        f"grouping every stored article from its lead: {speed['group all s']:.2f} s",
        f"listing the stories: {speed['list ms']:.1f} ms (table opened: "
        f"{speed['open and list ms']:.1f} ms)",
    ]
    if "ingest s" in speed:
        lines.append(
            f"ingest of {speed['ingest articles']} articles: {speed['ingest s']:.1f} s, of which "
            f"grouping {speed['grouping s']:.2f} s ({100 * speed['grouping share']:.1f}%)"
        )
    return "\n".join(lines)


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def evaluate_stories(store: Any, data: Path, ingest_sample: int, work_dir: Path) -> dict[str, Any]:
    """Group the whole stored corpus afresh (as an ingest from empty would, in date order),
    score it against the labelled pairs, time the listing, and time grouping inside a
    real ingest of the first ``ingest_sample`` articles."""
    from assistant.stories.backfill import catch_up
    from assistant.stories.grouping import MIN_STORY_ARTICLES, StoryGrouper
    from assistant.stories.table import StoryTable

    pairs = labelled_pairs(load_questions(data))
    table_path = work_dir / "stories.sqlite3"
    table_path.unlink(missing_ok=True)
    fresh = StoryGrouper(StoryTable(table_path))
    started = time.perf_counter()
    catch_up(fresh, store.catalog, store.vectors)
    group_all = time.perf_counter() - started
    story_of = fresh.table.story_of(a for p in pairs for a in (p.first, p.second))
    fresh.table.close()

    started = time.perf_counter()
    reopened = StoryTable(table_path)
    opened = time.perf_counter()
    stories = reopened.stories(MIN_STORY_ARTICLES)
    listed = time.perf_counter()
    speed: dict[str, Any] = {
        "articles": reopened.count_members(),
        "stories": len(stories),
        "group all s": group_all,
        "list ms": 1000 * (listed - opened),
        "open and list ms": 1000 * (listed - started),
    }
    reopened.close()
    if ingest_sample:
        speed.update(_timed_ingest(store, data, ingest_sample, work_dir))
    return {"quality": pair_scores(pairs, story_of), "speed": speed}


def _timed_ingest(store: Any, data: Path, count: int, work_dir: Path) -> dict[str, Any]:
    """A real ingest of the first ``count`` articles into a new store, with the time spent
    grouping added up (an upper bound on what grouping adds: it runs in the writer thread,
    beside embedding)."""
    from assistant.index.keywords import KeywordIndex
    from assistant.index.store import ArticleStore
    from assistant.index.vectors import open_client
    from assistant.ingest.sync import ingest_paths
    from assistant.stories.table import StoryTable

    folder = work_dir / "ingest-sample"
    sample = corpus_sample(data, count, folder)
    client = open_client(folder / "store", None)
    fresh = ArticleStore(
        client,
        store.embeddings,
        store.vectors.collection.metadata.get("embedding_model", ""),
        store.chunker,
        KeywordIndex(folder / "keywords.sqlite3"),
        name=f"sample{int(time.time())}",
        stories=StoryTable(folder / f"stories{int(time.time())}.sqlite3"),
    )
    timed = TimedGrouping(fresh.stories)
    fresh.stories = timed  # type: ignore[assignment]
    report = ingest_paths(fresh, [sample], 100.0)
    return {
        "ingest articles": report.added,
        "ingest chunks": report.chunks_embedded,
        "ingest s": report.seconds,
        "grouping s": timed.seconds,
        "grouping share": timed.seconds / report.seconds if report.seconds else 0.0,
    }
