"""Asking about a story, on a real store (real Chroma, real embeddings): retrieval kept to
the story's articles in the Chroma search and the keyword search alike, through the chat
handler and the CLI, so a follow-up stays on the story."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.qa import QAChain
from assistant.app.compose import Services, build_services
from assistant.app.web.chat import ChatHandler
from assistant.app.web.stories_tab import StoriesHandler
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths
from assistant.search.retriever import Retriever
from assistant.stories.grouping import MIN_STORY_ARTICLES
from assistant.types import Filters, Passage
from tests.test_coverage_cli import no_model  # noqa: F401 - a fixture
from tests.test_newsdesk_cli import run, store_settings  # noqa: F401 - a fixture
from tests.test_stories import write_reports

FLOOD = {"y1", "y2"}
RAIL_QUESTION = "Which union walked out in Britain's rail strike over pay, and were roads closed?"


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("story-questions")
    corpus = folder / "news.jsonl"
    write_reports(corpus)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        vectorstore_dir=folder / "store",
        corpus_dir=folder,
        llm_url=None,
    )
    services = build_services(settings)
    ingest_paths(services.store, [corpus], 50)
    yield services


def flood_story(desk: Services) -> str:
    (story,) = desk.store.stories.table.stories(MIN_STORY_ARTICLES)
    return story.id


@pytest.mark.parametrize("mode", ["hybrid", "dense", "keyword"])
def test_retrieval_keeps_to_the_story(desk: Services, mode: str) -> None:
    retriever = Retriever(desk.store, desk.embeddings, top_k=6, mode=mode)  # type: ignore[arg-type]
    everywhere = retriever.retrieve(RAIL_QUESTION)
    assert "r1" in {p.article_id for p in everywhere}  # the question is about another story
    kept = retriever.retrieve(RAIL_QUESTION, Filters(article_ids=tuple(FLOOD)))
    assert kept and {p.article_id for p in kept} <= FLOOD


def test_keyword_search_keeps_to_the_articles(desk: Services) -> None:
    assert {h.article_id for h in desk.store.keyword_search("rail strike pay", 10)} >= {"r1"}
    kept = desk.store.keyword_search("rail strike floods", 10, article_ids=sorted(FLOOD))
    assert kept and {h.article_id for h in kept} <= FLOOD
    assert desk.store.keyword_search("rail strike", 10, article_ids=[]) == []


def chat_over(desk: Services, searched: list[list[Passage]]) -> ChatHandler:
    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        found = desk.retriever.retrieve(query, filters)
        searched.append(found)
        return found

    chain = QAChain(
        FakeListChatModel(responses=["The floods closed the park [1].", "Rail staff.", "Roads."]),
        retrieve,
        desk.prompts,
        700,
        0.0,
    )
    stories = StoriesHandler(desk.store, desk.retriever.retrieve, 0.2)
    return ChatHandler(lambda: chain, lambda: "fake", None, stories.scope)


def test_a_follow_up_stays_on_the_story(desk: Services) -> None:
    searched: list[list[Passage]] = []
    handler = chat_over(desk, searched)
    story = flood_story(desk)
    first = list(handler.respond("What closed?", [], "", "", "", "", None, story))[-1]
    assert "On the story: " in first
    history: list[dict[str, Any]] = [
        {"role": "user", "content": "What closed?"},
        {"role": "assistant", "content": first},
    ]
    # The follow-up names another story's words; it still searches the flood reports only.
    list(handler.respond(RAIL_QUESTION, history, "", "", "", "", None, story))
    assert len(searched) == 2 and all(searched)
    assert all({p.article_id for p in found} <= FLOOD for found in searched)
    # Without the story, the same follow-up finds the rail strike.
    list(handler.respond(RAIL_QUESTION, history, "", "", "", "", None, ""))
    assert "r1" in {p.article_id for p in searched[-1]}


def test_a_story_that_is_not_there_gets_a_message(desk: Services) -> None:
    handler = chat_over(desk, [])
    (only,) = list(handler.respond("What closed?", [], "", "", "", "", None, "zzz"))
    assert "⚠️ No story or article has the id 'zzz'" in only
    (single,) = list(handler.respond("What closed?", [], "", "", "", "", None, "r1"))
    assert "a story needs at least 2 articles" in single


def test_stories_tab_hands_the_story_to_the_ask_tab(desk: Services) -> None:
    stories = StoriesHandler(desk.store, desk.retriever.retrieve, 0.2)
    story = flood_story(desk)
    value, message = stories.ask(story)
    assert value == story and "search only the 2 articles" in message
    assert stories.ask(None) == ("", "Choose a story first.")
    assert list(stories.coverage(story)) == [
        "⚠️ Coverage needs the chat model, and none is running."
    ]


def test_cli_ask_about_a_story_that_is_not_there(
    store_settings: Settings,  # noqa: F811 - the fixture imported above
    no_model: None,  # noqa: F811
    tmp_path: Path,
) -> None:
    result = run("ask", "--story", "zzz", "What closed?")
    assert result.exit_code == 1
    assert "No story or article has the id 'zzz'" in result.output
    single = run("ask", "--story", "r1", "What happened?")
    assert single.exit_code == 1 and "a story needs at least 2 articles" in single.output


def test_stories_tab_shows_coverage_as_it_is_judged(desk: Services) -> None:
    from tests.test_coverage import scripted_judge

    stories = StoriesHandler(
        desk.store, desk.retriever.retrieve, 0.2, judge=lambda: scripted_judge([])
    )
    shown = list(stories.coverage(flood_story(desk)))
    assert shown[0] == "_Reading the outlets' articles…_"
    assert "What each outlet reports" in shown[1] and "usatoday.com" in shown[1]
    assert "Where they agree" in shown[-1] and "pair(s) to go" not in shown[-1]
    assert "[1] Yellowstone closes after record floods" in shown[-1]
    (single,) = list(stories.coverage("r1"))
    assert single.startswith("⚠️ 'r1' is a single article")
