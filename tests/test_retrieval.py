"""Hybrid retrieval, dates and diversity, on a real Chroma and the real embedding model."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from assistant.app.compose import Services, build_services
from assistant.config import Settings
from assistant.index.keywords import KeywordIndex, query_terms
from assistant.ingest.sync import ingest_paths
from assistant.search.retriever import Retriever, date_preference
from assistant.search.timeframe import Timeframe, read_timeframe
from assistant.types import Filters
from devtools.eval_retrieval import retrieved_articles, scores

REF = date(2022, 7, 28)


def test_read_timeframe_phrases() -> None:
    assert read_timeframe("What happened this week?", REF) == Timeframe(
        date(2022, 7, 21), REF, True
    )
    assert read_timeframe("Who won yesterday?", REF).since == date(2022, 7, 27)
    assert read_timeframe("Floods in March 2024", REF) == Timeframe(
        date(2024, 3, 1), date(2024, 3, 31), False
    )
    assert read_timeframe("What did the council decide in March?", REF).since == date(2022, 3, 1)
    assert read_timeframe("What happened in October?", REF).since == date(2021, 10, 1)
    assert read_timeframe("Storm on 5 June 2022", REF).until == date(2022, 6, 8)
    assert read_timeframe("Results of June 5, 2022 vote", REF).since == date(2022, 6, 4)
    assert read_timeframe("What was announced last month?", REF) == Timeframe(
        date(2022, 6, 1), date(2022, 6, 30), False
    )
    assert read_timeframe("Who recently resigned?", REF) == Timeframe(recent=True)
    assert not read_timeframe("Who is the president of France?", REF).is_set
    assert not read_timeframe("This may be nothing", REF).since


def test_date_preference() -> None:
    week = read_timeframe("this week", REF)
    assert date_preference("2022-07-25", week, REF) == 1.0
    assert 0 < date_preference("2022-07-01", week, REF) < 0.5
    assert date_preference("", week, REF) == 0.0
    assert date_preference("2022-07-25", Timeframe(), None) == 0.0
    assert date_preference("2022-07-27", Timeframe(), REF) == 1.0  # "as of" alone
    assert date_preference("2022-07-29", Timeframe(), REF) == 0.0  # after "as of"


def test_query_terms_drop_stopwords() -> None:
    assert query_terms("Which automaker recalled 2.9 million vehicles this week?") == [
        "automaker",
        "recalled",
        "2",
        "9",
        "million",
        "vehicles",
    ]


def test_keyword_index_persists_updates_and_filters(tmp_path: Path) -> None:
    path = tmp_path / "kw.sqlite3"
    index = KeywordIndex(path)
    index.add(
        [
            ("c1", "a1", "Ford recall", "Ford recalls 2.9 million vehicles.", 20220615, "x"),
            ("c2", "a2", "Weather", "Rain all week in the north.", 20220610, "y"),
        ]
    )
    index.close()
    reopened = KeywordIndex(path)
    assert [h.chunk_id for h in reopened.search("ford recall", 5)] == ["c1"]
    assert reopened.search("ford recall", 5, since_day=20220616) == []
    assert reopened.search("rain", 5, source="x") == []
    reopened.delete_articles(["a1"])
    assert reopened.count() == 1 and reopened.search("ford", 5) == []
    assert reopened.search("the of and", 5) == []  # nothing to match: no error


def write(path: Path, records: list[dict[str, str]]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n")


@pytest.fixture
def news(store_settings: Settings, tmp_path: Path) -> Services:
    """The news below in a store in an embedded folder, then on a Chroma server."""
    services = build_services(store_settings)
    feed = tmp_path / "news.jsonl"
    stories = [
        (
            "old-recall",
            "Ford recalls trucks",
            "Ford recalled 300,000 trucks over brakes.",
            "2019-03-02",
            "a.com",
        ),
        (
            "new-recall",
            "Ford recall",
            "Ford recalled 2.9 million vehicles that may roll away.",
            "2022-07-26",
            "b.com",
        ),
        (
            "syndicated",
            "Ford recall (wire)",
            "Ford recalled 2.9 million vehicles that may roll away.",
            "2022-07-26",
            "c.com",
        ),
        (
            "fire",
            "Oak Fire near Yosemite",
            "The Oak Fire forced thousands to evacuate near Yosemite National Park.",
            "2022-07-25",
            "b.com",
        ),
        (
            "fire-2",
            "Fire crews gain ground",
            "Crews contained 40 percent of the Oak Fire near Yosemite.",
            "2022-07-27",
            "a.com",
        ),
        (
            "later",
            "Ford recall expands",
            "Ford expanded the recall of vehicles.",
            "2022-08-20",
            "a.com",
        ),
    ]
    write(
        feed,
        [
            {"id": i, "title": t, "text": x, "published": d, "source": s}
            for i, t, x, d, s in stories
        ],
    )
    ingest_paths(services.store, [feed], 50)
    return services


def test_keyword_index_follows_ingest_and_rebuilds(
    news: Services, store_settings: Settings
) -> None:
    assert news.store.keywords.count() == news.store.count_chunks()
    news.store.keywords.clear()
    rebuilt = build_services(store_settings)  # reopening notices the index is out of step
    assert rebuilt.store.keywords.count() == rebuilt.store.count_chunks()


def test_as_of_date_and_recency(news: Services) -> None:
    retriever = Retriever(news.store, news.embeddings, top_k=10)
    ranked = retrieved_articles(
        retriever.retrieve("Which automaker recalled vehicles this week?", Filters(as_of=REF))
    )
    assert "later" not in ranked  # published after the "as of" date
    assert ranked.index("new-recall") < ranked.index("old-recall")
    plain = Retriever(news.store, news.embeddings, top_k=10, mode="dense")
    found = plain.retrieve("Ford recalled trucks", Filters(as_of=REF))
    assert "old-recall" in retrieved_articles(found)


def test_filters_by_source_and_range(news: Services) -> None:
    retriever = Retriever(news.store, news.embeddings, top_k=6)
    found = retriever.retrieve("Ford recall", Filters(source="a.com"))
    assert found and {p.source for p in found} == {"a.com"}
    window = retriever.retrieve(
        "Ford recall", Filters(since=date(2022, 7, 1), until=date(2022, 7, 31))
    )
    assert window and all("2022-07-01" <= p.published <= "2022-07-31" for p in window)


def test_syndicated_copies_collapse_and_articles_mix(news: Services) -> None:
    retriever = Retriever(news.store, news.embeddings, top_k=4)
    found = retriever.retrieve("Ford recalled 2.9 million vehicles that may roll away")
    texts = [p.text for p in found]
    assert texts.count("Ford recalled 2.9 million vehicles that may roll away.") == 1
    fires = retriever.retrieve("Oak Fire near Yosemite evacuations and containment")
    assert {"fire", "fire-2"} <= {p.article_id for p in fires}


def test_scores_hit_and_mrr() -> None:
    gold = [frozenset({"a"}), frozenset({"b"}), frozenset({"z"})]
    ranked = [["a", "x"], ["x", "y", "b"], ["x"]]
    result = scores(ranked, gold)
    assert result["hit@1"] == pytest.approx(1 / 3)
    assert result["hit@4"] == pytest.approx(2 / 3)
    assert result["mrr@10"] == pytest.approx((1 + 1 / 3) / 3)


def test_eval_retrieval_command(tmp_path: Path, cache_dir: Path) -> None:
    from click.testing import CliRunner

    from assistant.app.cli import main

    data = tmp_path / "bench"
    data.mkdir()
    write(
        data / "corpus.jsonl",
        [
            {
                "id": "g1",
                "title": "Sprite bottle",
                "text": "Sprite drops its green bottle.",
                "published": "2022-07-27",
            },
            {
                "id": "d1",
                "title": "Soda sales",
                "text": "Soda sales rose in 2019.",
                "published": "2019-01-02",
            },
        ],
    )
    write(
        data / "questions.jsonl",
        [
            {
                "id": "q1",
                "date": "2022-07-28",
                "question": "Which drink gets a new bottle?",
                "gold_ids": ["g1"],
            }
        ],
    )
    result = CliRunner().invoke(
        main,
        ["eval", "retrieval", "--data", str(data), "--json"],
        env={"ASSISTANT_CACHE_DIR": str(cache_dir)},
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output[result.output.index("{") :])
    assert figures["questions"] == 1 and figures["articles"] == 2
    assert figures["hybrid"]["hit@1"] == 1.0
    assert set(figures) >= {"hybrid", "hybrid-no-as-of", "dense", "keyword"}
    assert set(figures) >= {"dense", "keyword"}
