"""``assistant coverage`` on a real store: bad input gets a message before any model is
started (these tests have none: a model would be an error here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.app.compose import build_services
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths
from tests.test_newsdesk_cli import run, store_settings  # noqa: F401 - a fixture

ONE_OUTLET = [
    (
        "o1",
        "2022-06-20",
        "localpaper.com",
        "Harbour bridge closed for repairs",
        "The Kessington harbour bridge closed on Monday for urgent repairs to its cables, "
        "the city council said. Traffic was sent through the old tunnel.",
    ),
    (
        "o2",
        "2022-06-21",
        "localpaper.com",
        "Kessington harbour bridge repairs",
        "Repairs to the cables of the Kessington harbour bridge began on Monday after the "
        "city council closed it. Drivers used the old tunnel instead.",
    ),
]


@pytest.fixture
def no_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to start a chat model fails the test."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a model was started for input that has no coverage")

    monkeypatch.setattr("assistant.app.compose.start_chat", refuse)


def test_coverage_of_a_single_article_or_unknown_id(
    store_settings: Settings,  # noqa: F811 - the fixture imported above
    no_model: None,
) -> None:
    single = run("coverage", "r1")
    assert single.exit_code == 1
    assert "a story needs at least 2 articles" in single.output
    unknown = run("coverage", "zzz")
    assert unknown.exit_code == 1 and "No story or article has the id 'zzz'" in unknown.output
    undated = run("coverage", "n1")
    assert "no publication date" in undated.output
    assert "Traceback" not in single.output + unknown.output + undated.output


def test_coverage_of_a_story_from_one_outlet(
    store_settings: Settings,  # noqa: F811
    no_model: None,
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "one-outlet.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"id": i, "published": d, "source": s, "title": t, "text": x}) + "\n"
            for i, d, s, t, x in ONE_OUTLET
        )
    )
    store = build_services(store_settings).store
    ingest_paths(store, [corpus], 50)
    assert store.stories.table.member("o1").story_id == store.stories.table.member("o2").story_id
    result = run("coverage", "o1")
    assert result.exit_code == 1, result.output
    assert "has articles from one outlet only (localpaper.com)" in result.output
    assert "coverage compares two outlets or more" in result.output
