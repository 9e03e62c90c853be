"""The keyword index at scale: date windows read as row id ranges, a bounded candidate set
that ranks like the full BM25 ranking, and an index of the older layout rebuilt."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from assistant.app.compose import build_services
from assistant.config import Settings
from assistant.index import keywords
from assistant.index.keywords import ROWS_PER_DAY, KeywordIndex, query_terms
from assistant.ingest.sync import ingest_paths


def full_ranking(index: KeywordIndex, text: str, k: int) -> list[tuple[str, float]]:
    """The reference: FTS5 scoring every chunk that holds any query word (of chunks scored
    alike, the newest first)."""
    match = " OR ".join(f'"{t}"' for t in query_terms(text))
    db = sqlite3.connect(str(index.path))
    rows = db.execute(
        "SELECT chunk_id, -bm25(chunks, 1.0, 2.0) FROM chunks WHERE chunks MATCH ? "
        "ORDER BY bm25(chunks, 1.0, 2.0), rowid DESC LIMIT ?",
        (match, k),
    ).fetchall()
    db.close()
    return [(r[0], round(r[1], 9)) for r in rows]


def ranking(index: KeywordIndex, text: str, k: int, **filters: int) -> list[tuple[str, float]]:
    return [(h.chunk_id, round(h.score, 9)) for h in index.search(text, k, **filters)]


def test_date_window_is_honoured_and_read_as_row_ids(tmp_path: Path) -> None:
    index = KeywordIndex(tmp_path / "kw.sqlite3")
    index.add(
        [
            ("june", "a1", "Flood", "The river flooded the town.", 20220610, "x"),
            ("july", "a2", "Flood", "The river flooded the town again.", 20220712, "x"),
            ("july-2", "a3", "Flood", "Flood waters on the river rise.", 20220712, "y"),
            ("undated", "a4", "Flood", "A river flood, date unknown.", None, "x"),
        ]
    )
    rows = dict(sqlite3.connect(str(index.path)).execute("SELECT chunk_id, rowid FROM chunks"))
    assert rows["june"] // ROWS_PER_DAY == 20220610
    assert rows["july"] // ROWS_PER_DAY == rows["july-2"] // ROWS_PER_DAY == 20220712
    assert rows["july"] != rows["july-2"]
    assert rows["undated"] // ROWS_PER_DAY == 0

    def found(**filters: int) -> set[str]:
        return {h.chunk_id for h in index.search("river flood", 10, **filters)}

    assert found() == {"june", "july", "july-2", "undated"}
    assert found(until_day=20220630) == {"june"}  # a date limit leaves out undated chunks
    assert found(since_day=20220701) == {"july", "july-2"}
    assert found(since_day=20220611, until_day=20220711) == set()
    assert found(since_day=20220712, until_day=20220712) == {"july", "july-2"}
    assert {h.chunk_id for h in index.search("river", 10, source="y")} == {"july-2"}

    # An article re-dated by a later version moves to its new day's rows.
    index.replace_articles(
        ["a1"], [("june", "a1", "Flood", "The river flooded.", 20220801, "x")], {"a1": "v2"}
    )
    assert found(until_day=20220630) == set()
    assert "june" in found(since_day=20220801)
    assert index.consistent() and index.count() == 4


def _crafted(index: KeywordIndex) -> None:
    """Many chunks with the common words 'market' and 'prices' over many days, a few with
    the rare word 'zeppelin' as well or alone, and enough others that the common words
    still weigh something (BM25 gives no weight to a word in half the chunks)."""
    rows = [(f"other-{n}", f"o{n}", "Weather", "Sunny and warm.", None, "x") for n in range(80)]
    for n in range(60):
        text = "The market rallied as prices rose." if n % 2 else "Prices fell; the market slid."
        rows.append((f"common-{n}", f"c{n}", "Markets", text, 20220101 + n % 28, "x"))
    rows += [
        ("rare-both", "r1", "Zeppelin", "A zeppelin over the market lifted prices.", 20220105, "x"),
        ("rare-one", "r2", "Airship", "The zeppelin museum reopened.", 20220107, "x"),
        ("rare-old", "r3", "Zeppelin", "Zeppelin shares and market prices.", 20210105, "x"),
    ]
    index.add(rows)


def test_budgeted_search_ranks_like_the_full_ranking(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = KeywordIndex(tmp_path / "kw.sqlite3")
    _crafted(index)
    question = "zeppelin market prices"
    unbounded = ranking(index, question, 10)
    assert unbounded == full_ranking(index, question, 10)  # within the budget: the same

    # A budget of 10 matches: 'zeppelin' (3 chunks) picks the candidates, 'market' and
    # 'prices' (61 each) only score them, yet the chunks holding the rare word come out
    # first with the very scores of the full ranking.
    monkeypatch.setattr(keywords, "CANDIDATE_BUDGET", 10)
    assert index._split_terms(query_terms(question), 0, 2**63 - 1) == (
        ["zeppelin"],
        ["market", "prices"],
    )
    assert ranking(index, question, 3) == full_ranking(index, question, 3)
    # Too few rare chunks for k: the newest common-only chunks fill the list, scored alike.
    bounded = ranking(index, question, 10)
    full = dict(full_ranking(index, question, 100))
    assert bounded[:3] == full_ranking(index, question, 3)
    assert len(bounded) == 10
    assert all(full[chunk] == score for chunk, score in bounded)
    assert [s for _, s in bounded] == sorted((s for _, s in bounded), reverse=True)
    # The window still holds: nothing from 2021 when asked about 2022.
    assert "rare-old" not in {c for c, _ in ranking(index, question, 10, since_day=20220101)}


def test_only_common_words_rank_the_newest_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = KeywordIndex(tmp_path / "kw.sqlite3")
    _crafted(index)
    monkeypatch.setattr(keywords, "CANDIDATE_BUDGET", 10)
    hits = ranking(index, "market prices", 5, until_day=20220120)
    db = sqlite3.connect(str(index.path))
    newest = [
        r[0]
        for r in db.execute(
            "SELECT chunk_id FROM chunks WHERE chunks MATCH 'market OR prices' AND day <= ? "
            "ORDER BY day DESC, rowid DESC LIMIT 10",
            (20220120,),
        )
    ]
    full = dict(full_ranking(index, "market prices", 200))
    best_of_newest = sorted(((c, full[c]) for c in newest), key=lambda h: -h[1])[:5]
    assert [s for _, s in hits] == [s for _, s in best_of_newest]
    assert {c for c, _ in hits} <= set(newest)


def test_index_of_the_older_layout_is_rebuilt(store_settings: Settings, tmp_path: Path) -> None:
    feed = tmp_path / "news.jsonl"
    feed.write_text(
        "\n".join(
            json.dumps(r)
            for r in [
                {"id": "old", "title": "Dam", "text": "The dam held.", "published": "2019-03-02"},
                {"id": "new", "title": "Dam", "text": "The dam broke.", "published": "2022-07-26"},
            ]
        )
        + "\n"
    )
    services = build_services(store_settings)
    ingest_paths(services.store, [feed], 50)
    path = services.store.keywords.path
    services.store.keywords.close()
    with sqlite3.connect(str(path)) as db:  # as an index of the older layout was
        db.execute("PRAGMA user_version = 0")

    reopened = build_services(store_settings).store
    assert reopened.keywords.consistent()
    assert reopened.keywords.count() == reopened.count_chunks() == 2
    assert [h.article_id for h in reopened.keyword_search("dam", 5, until_day=20200101)] == ["old"]
    assert [h.article_id for h in reopened.keyword_search("dam", 5, since_day=20220101)] == ["new"]


def test_agreement_tool_copies_like_the_bench_and_compares(tmp_path: Path) -> None:
    from devtools.keyword_agreement import build_index, compare

    rows = [
        (f"c{n}", f"a{n}", "Dam", f"The dam number {n} held the flood.", 20220601 + n, "x")
        for n in range(10)
    ]
    index = build_index(rows, 25, tmp_path / "kw.sqlite3")
    days = dict(sqlite3.connect(str(index.path)).execute("SELECT chunk_id, day FROM chunks"))
    assert index.count() == 25 and days["c0~1"] == 20210427 and "c4~2" in days
    searches = [
        {"text": "dam flood", "k": 5, "since_day": None, "until_day": None},
        {"text": "dam", "k": 50, "since_day": 20220101, "until_day": 20220605},
    ]
    result = compare(index, searches)
    assert result["identical"] == 2 and result["scores_found"] == 1.0
