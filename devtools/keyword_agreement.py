"""How close the keyword index's bounded search comes to the full BM25 ranking, and what
each costs, on synthetic archives of the ``bench --scale`` shape.

``python -m devtools.keyword_agreement --data ../shared/eval/news-qa``

The chunks of the news-qa store (built by ``assistant eval retrieval``) are copied as the
scale bench copies them (copy k: ids ending ``~k``, published k × 400 days earlier) into
a keyword index alone, no Chroma, so each size takes seconds to build. The keyword searches
the hybrid retriever makes for the bench's questions (with and without their as-of dates,
the "this week" windows included) are recorded, then run twice on each index: by
``KeywordIndex.search``, and by one FTS5 query that scores every matching chunk (the
ranking before the budget). Reported per size: the searches whose scores came out exactly
the same, the share of the full top-k's scores found, and the CPU time of each per search
(SQLite runs in this one thread, so on an idle machine that is also its latency; on a
shared one it does not count the waits for a core).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import click

from assistant.index.keywords import BM25_RANK, KeywordHit, KeywordIndex, match_any, query_terms
from assistant.search.retriever import Retriever
from assistant.types import Filters
from devtools.bench_scale import copy_day
from devtools.eval_retrieval import eval_store_folder, load_questions


class _Recorder:
    """Stands in for the store: records the keyword searches the retriever makes."""

    def __init__(self) -> None:
        self.searches: list[dict[str, Any]] = []

    def search(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    def passages_by_id(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []

    def keyword_search(
        self,
        text: str,
        k: int,
        since_day: int | None = None,
        until_day: int | None = None,
        **_: Any,
    ) -> list[KeywordHit]:
        self.searches.append({"text": text, "k": k, "since_day": since_day, "until_day": until_day})
        return []


class _NoVectors:
    def embed_query(self, text: str) -> list[float]:
        return [0.0]


def recorded_searches(data: Path, limit: int) -> list[dict[str, Any]]:
    recorder = _Recorder()
    retriever = Retriever(recorder, _NoVectors(), top_k=6)  # type: ignore[arg-type]
    for question in load_questions(data / "questions.jsonl")[:limit]:
        for as_of in (question.asked, None):
            retriever.retrieve(question.text, Filters(as_of=as_of))
    return recorder.searches


def _shifted(day: int | None, copy: int) -> int | None:
    if not day or not copy:
        return day
    moved = copy_day(date(day // 10000, day // 100 % 100, day % 100), copy)
    return int(moved.strftime("%Y%m%d"))


def build_index(rows: list[tuple[Any, ...]], size: int, path: Path) -> KeywordIndex:
    index = KeywordIndex(path)
    batch: list[Any] = []
    written, copy = 0, 0
    while written < size:
        for chunk_id, article_id, title, text, day, source in rows[: size - written]:
            suffix = f"~{copy}" if copy else ""
            batch.append(
                (chunk_id + suffix, article_id + suffix, title, text, _shifted(day, copy), source)
            )
            if len(batch) == 5000:
                index.add(batch)
                batch = []
        written = min(size, written + len(rows))
        copy += 1
    index.add(batch)
    return index


def full_ranking(db: sqlite3.Connection, search: dict[str, Any]) -> list[float]:
    """The scores of the top k when every matching chunk is scored."""
    terms = query_terms(search["text"])
    if not terms:
        return []
    sql = f"SELECT -{BM25_RANK} FROM chunks WHERE chunks MATCH ?"
    args: list[Any] = [match_any(terms)]
    for column, op in (("since_day", ">="), ("until_day", "<=")):
        if search[column] is not None:
            sql += f" AND day {op} ?"
            args.append(search[column])
    rows = db.execute(f"{sql} ORDER BY {BM25_RANK} LIMIT ?", [*args, search["k"]]).fetchall()
    return [r[0] for r in rows]


def compare(index: KeywordIndex, searches: list[dict[str, Any]]) -> dict[str, Any]:
    db = sqlite3.connect(str(index.path))
    same, found, bounded_s, full_s = 0, [], 0.0, 0.0
    for search in searches:
        start = time.process_time()
        hits = index.search(search["text"], search["k"], search["since_day"], search["until_day"])
        bounded_s += time.process_time() - start
        start = time.process_time()
        full = full_ranking(db, search)
        full_s += time.process_time() - start
        got = Counter(round(h.score, 6) for h in hits)
        wanted = Counter(round(s, 6) for s in full)
        same += got == wanted
        if wanted:
            found.append(sum((got & wanted).values()) / sum(wanted.values()))
    db.close()
    return {
        "chunks": index.count(),
        "searches": len(searches),
        "identical": same,
        "scores_found": sum(found) / max(len(found), 1),
        "bounded_ms": 1000 * bounded_s / len(searches),
        "full_ms": 1000 * full_s / len(searches),
    }


@click.command()
@click.option("--data", required=True, type=click.Path(path_type=Path, file_okay=False))
@click.option("--sizes", default="25000,100000,250000", show_default=True)
@click.option("--questions", default=60, show_default=True, type=int)
@click.option(
    "--cache-dir",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path.home() / ".cache" / "newsroom-assistant",
    show_default=True,
)
def main(data: Path, sizes: str, questions: int, cache_dir: Path) -> None:
    source = eval_store_folder(cache_dir, data) / "articles-keywords.sqlite3"
    if not source.is_file():
        raise click.UsageError(
            f"{source} is missing: run `assistant eval retrieval --data {data}` once first."
        )
    with sqlite3.connect(str(source)) as db:
        rows = db.execute(
            "SELECT chunk_id, article_id, title, text, day, source FROM chunks ORDER BY rowid"
        ).fetchall()
    searches = recorded_searches(data, questions)
    click.echo(
        "| chunks | searches | same scores as the full ranking | top-k scores found "
        "| bounded search, CPU | full ranking, CPU |"
    )
    click.echo("| --- | --- | --- | --- | --- | --- |")
    work = Path(tempfile.mkdtemp(prefix="keyword-agreement-"))
    try:
        for size in sorted(int(s) for s in sizes.split(",")):
            index = build_index(rows, size, work / f"{size}.sqlite3")
            r = compare(index, searches)
            index.close()
            click.echo(
                f"| {r['chunks']:,} | {r['searches']} | {r['identical']} "
                f"| {100 * r['scores_found']:.1f}% | {r['bounded_ms']:.1f} ms "
                f"| {r['full_ms']:.1f} ms |"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
