"""End to end: coverage across outlets on crafted articles in a real store (real Chroma,
real embeddings, stories grouped at ingest), judged by the real embedded model server at
the product's defaults (temperature 0.1). Two outlets giving different death tolls for one
ferry disaster must be shown as CONFLICTING with both quotes; two giving the same toll for
one mine blast must not."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from assistant.answer.quotes import quote_in
from assistant.app.cli import main
from assistant.app.compose import ChatRuntime, Services, build_chains, build_services
from assistant.app.web.chat import ChatHandler
from assistant.app.web.stories_tab import StoriesHandler
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths
from assistant.stories.coverage import Coverage, build_coverage, comparison_judge
from assistant.stories.grouping import MIN_STORY_ARTICLES
from assistant.stories.lookup import open_story
from assistant.types import Filters, Passage
from tests.repeat import assert_pass_rate

pytestmark = pytest.mark.e2e

FERRY = [
    (
        "f1",
        "2023-05-11",
        "eastafrican-times.com",
        "Ferry capsizes on Lake Victoria near Mwanza",
        "A passenger ferry capsized on Lake Victoria near Mwanza on Thursday morning. "
        "At least 31 people were killed when the ferry capsized on Lake Victoria near Mwanza, "
        "police said. Rescuers pulled 40 survivors from the water near the shore. "
        "The ferry was carrying traders to the Saturday market in Mwanza.",
    ),
    (
        "f2",
        "2023-05-11",
        "lakeside-news.com",
        "Lake Victoria ferry disaster near Mwanza",
        "A passenger ferry sank on Lake Victoria near Mwanza on Thursday morning. "
        "Police said 12 people died when the ferry capsized on Lake Victoria near Mwanza. "
        "Fishermen helped rescuers search the water near the shore. "
        "Regional officials ordered an inquiry into the ferry's licence.",
    ),
]
MINE = [
    (
        "m1",
        "2023-06-20",
        "siberia-daily.com",
        "Explosion at Kirov coal mine",
        "An explosion tore through the Kirov coal mine in Kemerovo on Tuesday. "
        "The explosion at the Kirov coal mine killed 9 miners, the emergencies ministry said. "
        "Rescue teams brought 60 miners to the surface. "
        "The mine had been fined for safety breaches last year.",
    ),
    (
        "m2",
        "2023-06-20",
        "kemerovo-herald.com",
        "Kirov coal mine blast in Kemerovo",
        "A methane blast hit the Kirov coal mine in Kemerovo on Tuesday. "
        "Nine miners were killed by the explosion at the Kirov coal mine, the ministry said. "
        "Families gathered at the gates of the mine through the night. "
        "Prosecutors opened a criminal case over safety rules.",
    ),
]


@pytest.fixture(scope="module")
def desk(
    seed_runtime: tuple[Services, ChatRuntime], tmp_path_factory: pytest.TempPathFactory
) -> Services:
    """A store of the crafted reports; the model is the seed fixture's embedded server."""
    folder = tmp_path_factory.mktemp("coverage")
    corpus = folder / "reports.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"id": i, "published": d, "source": s, "title": t, "text": x}) + "\n"
            for i, d, s, t, x in FERRY + MINE
        )
    )
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        vectorstore_dir=folder / "store",
        corpus_dir=folder,
        llm_url=None,
    )
    services = build_services(settings)
    ingest_paths(services.store, [corpus], settings.max_file_mb)
    return services


def coverage_of(desk: Services, chat: ChatRuntime, article_id: str) -> Coverage:
    table = desk.store.stories.table
    opened = open_story(table, article_id)
    chains = chat.current()
    return build_coverage(opened, desk.store.article_passages, comparison_judge(chains.factcheck))


def test_the_crafted_reports_make_two_stories(desk: Services) -> None:
    table = desk.store.stories.table
    stories = table.stories(MIN_STORY_ARTICLES)
    assert len(stories) == 2
    assert {len(s.sources) for s in stories} == {2}


def test_different_death_tolls_are_flagged_conflicting_with_both_quotes(
    desk: Services, seed_runtime: tuple[Services, ChatRuntime]
) -> None:
    chat = seed_runtime[1]

    def tolls_conflict() -> None:
        coverage = coverage_of(desk, chat, "f1")
        flagged = [f for f in coverage.disagreed if ("deaths", "31", "12") in f.pair.differ]
        assert flagged, "\n".join(
            f"{f.reading} {f.pair.differ} {[(j.stance, j.scores) for j in f.judgements]}"
            for f in coverage.facts
        )
        for fact in flagged:
            first, second = fact.pair.first, fact.pair.second
            assert "31 people were killed" in first.text and "12 people died" in second.text
            # Both quotes word for word from the stored articles of their own outlets.
            stored = {p.article_id: p.text for p in desk.store.article_passages("f1")}
            assert quote_in(first.text, " ".join(stored.values()))
            assert quote_in(
                second.text, " ".join(p.text for p in desk.store.article_passages("f2"))
            )
            assert {first.outlet, second.outlet} == {"eastafrican-times.com", "lakeside-news.com"}

    assert_pass_rate(tolls_conflict, runs=3, at_least=3)


def test_the_same_death_toll_is_not_flagged(
    desk: Services, seed_runtime: tuple[Services, ChatRuntime]
) -> None:
    chat = seed_runtime[1]

    def same_toll_agrees() -> None:
        coverage = coverage_of(desk, chat, "m1")
        assert coverage.disagreed == []
        toll = [f for f in coverage.facts if "9 miners" in f.pair.first.text + f.pair.second.text]
        assert toll and all(f.reading == "AGREE" for f in toll), [
            (f.reading, [(j.stance, j.scores) for j in f.judgements]) for f in coverage.facts
        ]

    assert_pass_rate(same_toll_agrees, runs=3, at_least=3)


def test_the_command_prints_the_conflict_with_both_quotes(
    desk: Services, seed_runtime: tuple[Services, ChatRuntime], monkeypatch: pytest.MonkeyPatch
) -> None:
    """`assistant coverage`, pointed at the fixture's model server (none is started)."""
    chat = seed_runtime[1]
    monkeypatch.setenv("ASSISTANT_LLM_URL", chat.backend.base_url)
    monkeypatch.setenv("ASSISTANT_VECTORSTORE_DIR", str(desk.settings.vectorstore_dir))
    monkeypatch.setenv("ASSISTANT_CORPUS_DIR", str(desk.settings.corpus_dir))
    result = CliRunner().invoke(main, ["coverage", "f2"])
    assert result.exit_code == 0, result.output
    assert "CONFLICTING (deaths: " in result.output
    assert "At least 31 people were killed when the ferry capsized" in result.output
    assert "Police said 12 people died when the ferry capsized" in result.output
    assert "eastafrican-times.com (1 article(s)):" in result.output


def test_questions_about_a_story_stay_on_it(
    desk: Services, seed_runtime: tuple[Services, ChatRuntime]
) -> None:
    """The real model answers and rewrites the follow-up; whatever it writes, only the
    story's articles are searched."""
    chat = seed_runtime[1]
    searched: list[set[str]] = []

    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        found = desk.retriever.retrieve(query, filters)
        searched.append({p.article_id for p in found})
        return found

    qa = build_chains(chat.current().llm, desk.settings, desk).qa.over(
        retrieve, desk.settings.min_relevance
    )
    stories = StoriesHandler(desk.store, desk.retriever.retrieve, desk.settings.min_relevance)
    handler = ChatHandler(lambda: qa, lambda: chat.backend.label, None, stories.scope)
    story = desk.store.stories.table.member("f1").story_id
    first = list(handler.respond("How many people died?", [], "", "", "", "", None, story))[-1]
    assert "On the story: " in first and "Sources" in first, first
    history = [
        {"role": "user", "content": "How many people died?"},
        {"role": "assistant", "content": first},
    ]
    follow_up = "What did the rescue teams do?"  # the mine story's words too
    second = list(handler.respond(follow_up, history, "", "", "", "", None, story))[-1]
    assert "Sources" in second, second
    assert len(searched) == 2 and all(searched)
    assert all(found <= {"f1", "f2"} for found in searched), searched
