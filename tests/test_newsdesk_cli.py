"""The news desk's commands on a real store (real Chroma, real embeddings): stories,
timeline and brief, and their messages for bad input."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from assistant.app.cli import main
from assistant.app.compose import build_services
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths
from assistant.stories.grouping import MIN_STORY_ARTICLES
from tests.test_stories import write_reports


@pytest.fixture
def store_settings(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    corpus = tmp_path / "news.jsonl"
    write_reports(corpus)
    ingest_paths(build_services(settings).store, [corpus], 50)
    for name, value in (
        ("ASSISTANT_VECTORSTORE_DIR", settings.vectorstore_dir),
        ("ASSISTANT_CACHE_DIR", settings.cache_dir),
        ("ASSISTANT_CORPUS_DIR", tmp_path),
    ):
        monkeypatch.setenv(name, str(value))
    return settings


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def flood_story(settings: Settings) -> str:
    table = build_services(settings).store.stories.table
    (story,) = table.stories(MIN_STORY_ARTICLES)
    return story.id


def test_stories_lists_and_opens_one(store_settings: Settings) -> None:
    listed = run("stories")
    assert listed.exit_code == 0, listed.output
    assert "2 articles, 2 outlet(s)" in listed.output and "Yellowstone" in listed.output
    opened = run("stories", flood_story(store_settings))
    assert opened.exit_code == 0
    assert "[y1]" in opened.output and "[y2]" in opened.output and "[r1]" not in opened.output


def test_stories_bad_input_gets_a_message(store_settings: Settings) -> None:
    single = run("stories", "r1")
    assert single.exit_code == 1
    assert "a story needs at least 2 articles" in single.output
    undated = run("stories", "n1")
    assert "no publication date" in undated.output
    unknown = run("stories", "zzz")
    assert "No story or article has the id 'zzz'" in unknown.output
    empty = run("stories", "--since", "2030-01-01")
    assert empty.exit_code == 0 and "widen them" in empty.output
    assert "1 article(s) have no publication date" in empty.output


def test_timeline_of_a_story_and_of_a_topic(store_settings: Settings) -> None:
    story = run("timeline", flood_story(store_settings))
    assert story.exit_code == 0, story.output
    assert "2022-06-13  Yellowstone National Park closed all entrances on Monday" in story.output
    topic = run("timeline", "rail strike in Britain")
    assert topic.exit_code == 0, topic.output
    assert "2022-06-14  Britain's biggest rail strike" in topic.output
    assert "Traceback" not in topic.output


def test_timeline_of_nothing_in_the_corpus(store_settings: Settings) -> None:
    nothing = run("timeline", "quantum chromodynamics lattice gauge")
    assert nothing.exit_code == 1
    assert "Nothing in the corpus is about" in nothing.output
    words = run("timeline", "the of and")
    assert "Type a topic" in words.output


def test_brief_ranks_and_saves_markdown(store_settings: Settings, tmp_path: Path) -> None:
    saved = tmp_path / "brief.md"
    out = run("brief", "--as-of", "2022-06-15", "--days", "3", "--markdown", str(saved))
    assert out.exit_code == 0, out.output
    assert "1. Yellowstone" in out.output or "1. Floods" in out.output
    assert "(2 articles, 2 outlets" in out.output
    assert saved.read_text().startswith("# Briefing for 2022-06-13 to 2022-06-15")
    before = run("brief", "--as-of", "2022-06-13", "--days", "1")
    assert before.exit_code == 1  # the second report came out the day after
    assert "the corpus runs from 2022-06-13 to 2022-06-15" in before.output
