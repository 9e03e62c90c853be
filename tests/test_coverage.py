"""Coverage across outlets, with a scripted judge: figures read from sentences, which pairs
of sentences are put to the judge, and how its two readings of a pair are shown."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.excerpts import Excerpt
from assistant.answer.factcheck import FactCheckChain, Judgement
from assistant.answer.prompts import load_prompts
from assistant.answer.quotes import quote_in
from assistant.answer.stance import (
    FACT_CHECK,
    NO_MARGIN,
    REFUTE_LIFT,
    SUPPORT_LIFT,
    Stance,
    StanceScores,
)
from assistant.config import PROJECT_ROOT
from assistant.errors import AssistantError
from assistant.stories.coverage import (
    Pair,
    build_coverage,
    candidate_pairs,
    choose_pairs,
    comparison_judge,
    coverage_lines,
    coverage_steps,
    read_outlets,
    reading_of,
)
from assistant.stories.figures import Figure, differing_figures, figures
from assistant.stories.lookup import OpenStory
from assistant.stories.table import Member, Story
from assistant.types import Passage


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("At least 42 people were killed when the dam burst.", [Figure("42", "deaths")]),
        ("The collapse left 17 people dead, officials said.", [Figure("17", "deaths")]),
        ("The death toll from the dam collapse rose to 42.", [Figure("42", "deaths")]),
        (
            "Twelve people died and 30 were injured.",
            [Figure("12", "deaths"), Figure("30", "injuries")],
        ),
        ("The flood destroyed 300 homes in the valley.", [Figure("300", "home")]),
        # Dates are not figures.
        ("The dam burst on 5 March 2022 near the town.", []),
        ("Talks resume on March 12 in Geneva.", []),
    ],
)
def test_figures_with_what_they_count(sentence: str, expected: list[Figure]) -> None:
    assert figures(sentence) == expected


def test_figures_differ_only_for_the_same_kind_with_no_value_in_common() -> None:
    dead_42 = figures("At least 42 people were killed.")
    dead_17 = figures("The collapse left 17 people dead.")
    mixed = figures("Some 42 people died and 17 were injured.")
    assert differing_figures(dead_42, dead_17) == [("deaths", "42", "17")]
    assert differing_figures(dead_42, mixed) == []
    assert differing_figures(dead_17, mixed) == [("deaths", "17", "42")]
    assert differing_figures(dead_42, figures("The flood destroyed 300 homes.")) == []


# Two outlets on one dam collapse: they differ on the dead, agree on the evacuations.
HERALD = (
    "At least 42 people were killed when the Derna dam burst on Sunday night. "
    "Rescue workers evacuated the lower valley of Derna after the dam burst. "
    "The mayor asked for help from the capital."
)
COURIER = (
    "The Derna dam burst on Sunday night left 17 people dead, officials said. "
    "Rescue workers evacuated the lower valley of Derna when the dam burst. "
    "Engineers had warned about cracks for years."
)
GAZETTE = "The Derna dam burst on Sunday night killed 17 people, the governor said."


def passage(article_id: str, text: str, source: str) -> Passage:
    return Passage(
        f"{article_id}:0", article_id, 0, text, f"{source} report", "2023-09-11", source, ""
    )


def member(article_id: str, source: str, copy_of: str = "") -> Member:
    return Member(
        article_id, "s1", 1, "2023-09-11", source, f"{source} report", copy_of, frozenset(), None
    )


def open_story(*members: Member) -> OpenStory:
    sources = tuple(dict.fromkeys(m.source for m in members))
    story = Story("s1", "Derna dam bursts", "h1", "2023-09-11", "2023-09-11", len(members), sources)
    return OpenStory(story, list(members))


TEXTS = {"h1": (HERALD, "herald.ly"), "c1": (COURIER, "courier.ly"), "g1": (GAZETTE, "gazette.ly")}


def passages_of(article_id: str) -> list[Passage]:
    text, source = TEXTS[article_id]
    return [passage(article_id, text, source)]


def scripted_judge(
    asked: list[tuple[str, str]],
) -> Callable[[str, Passage, Excerpt | None], Judgement]:
    """Refutes a claim whose figures the evidence contradicts, supports the rest."""

    def judge(claim: str, evidence: Passage, excerpt: Excerpt | None) -> Judgement:
        assert excerpt is not None
        asked.append((claim, excerpt.text))
        stance: Stance = (
            "refutes" if differing_figures(figures(claim), figures(excerpt.text)) else "supports"
        )
        verified = quote_in(excerpt.text, evidence.text)
        return Judgement(evidence, excerpt.text, verified, StanceScores(5, 5), stance, "", 0.6, 1.0)

    return judge


def test_different_figures_are_shown_as_conflicting_with_both_quotes() -> None:
    asked: list[tuple[str, str]] = []
    story = open_story(member("h1", "herald.ly"), member("c1", "courier.ly"))
    coverage = build_coverage(story, passages_of, scripted_judge(asked))
    (conflict,) = coverage.disagreed
    assert conflict.pair.first.text.startswith("At least 42 people were killed")
    assert conflict.pair.second.text.startswith("The Derna dam burst on Sunday night left 17")
    assert conflict.pair.differ == (("deaths", "42", "17"),)
    assert conflict.verified
    # Both ways: each sentence put to the judge as a claim, the other as its evidence.
    assert (conflict.pair.first.text, conflict.pair.second.text) in asked
    assert (conflict.pair.second.text, conflict.pair.first.text) in asked
    (agreement,) = coverage.agreed
    assert "evacuated the lower valley" in agreement.pair.first.text
    text = "\n".join(coverage_lines(coverage))
    assert "CONFLICTING (deaths: 42 vs 17)" in text
    assert f'herald.ly [1]: "{conflict.pair.first.text}"' in text
    assert f'courier.ly [2]: "{conflict.pair.second.text}"' in text
    assert "[1] herald.ly report (2023-09-11, herald.ly)" in text


def test_the_same_figure_is_never_shown_as_conflicting() -> None:
    story = open_story(member("c1", "courier.ly"), member("g1", "gazette.ly"))
    coverage = build_coverage(story, passages_of, scripted_judge([]))
    assert coverage.disagreed == []
    assert any("17 people" in f.pair.first.text for f in coverage.agreed)
    assert "No conflict found" in "\n".join(coverage_lines(coverage))


def test_each_outlet_reports_its_salient_sentences() -> None:
    story = open_story(member("h1", "herald.ly"), member("c1", "courier.ly"))
    coverage = build_coverage(story, passages_of, scripted_judge([]))
    herald, courier = coverage.outlets
    assert herald.outlet == "herald.ly" and courier.outlet == "courier.ly"
    assert herald.sentences and all(s.text in HERALD for s in herald.sentences)
    assert all(s.source.number == 2 for s in courier.sentences)


def test_a_story_of_one_outlet_gets_a_message() -> None:
    story = open_story(member("h1", "herald.ly"), member("c1", "herald.ly"))
    with pytest.raises(AssistantError, match="one outlet only"):
        build_coverage(story, passages_of, scripted_judge([]))
    # A syndicated copy is not a second outlet's report.
    copied = open_story(member("h1", "herald.ly"), member("c1", "courier.ly", copy_of="h1"))
    with pytest.raises(AssistantError, match="syndicated"):
        build_coverage(copied, passages_of, scripted_judge([]))


def test_pairs_need_shared_words_and_come_figures_first() -> None:
    story = open_story(member("h1", "herald.ly"), member("c1", "courier.ly"))
    by_outlet, _ = read_outlets(story, passages_of)
    pairs = candidate_pairs(by_outlet)
    assert pairs[0].differ  # the figures that differ are asked about first
    assert all(p.first.outlet != p.second.outlet for p in pairs)
    # "The mayor asked for help" shares no words with the other outlet: never asked about.
    assert not any("mayor" in p.first.text or "mayor" in p.second.text for p in pairs)
    chosen = choose_pairs(pairs + pairs, limit=5)
    assert len(chosen) == len({(p.first.text, p.second.text) for p in chosen})
    assert len(choose_pairs(pairs, limit=1)) == 1


def _judged(stance: Stance, verified: bool = True) -> Judgement:
    quoted = passage("x", "The dam burst and killed many people.", "x.ly")
    return Judgement(quoted, "", verified, StanceScores(5, 5), stance, "", 0.6, 1.0)


@pytest.mark.parametrize(
    ("differ", "stances", "expected"),
    [
        (True, ("refutes", "refutes"), "CONFLICTING"),
        (True, ("refutes", "unclear"), "CONFLICTING"),
        (True, ("supports", "supports"), "NOT SETTLED"),  # the figures still differ
        (True, ("supports", "refutes"), "NOT SETTLED"),  # the judge read it both ways
        (False, ("refutes", "refutes"), "NOT SETTLED"),  # nothing of the same kind differs
        (False, ("supports", "unclear"), "AGREE"),
        (False, ("unclear", "unclear"), "NOT SETTLED"),
    ],
)
def test_readings_of_a_pair(differ: bool, stances: tuple[Stance, Stance], expected: str) -> None:
    story = open_story(member("h1", "herald.ly"), member("c1", "courier.ly"))
    by_outlet, _ = read_outlets(story, passages_of)
    a, b = by_outlet["herald.ly"][0], by_outlet["courier.ly"][0]
    pair = Pair(a, b, 0.5, (("deaths", "42", "17"),) if differ else ())
    assert reading_of(pair, [_judged(s) for s in stances]) == expected


def test_a_stance_on_an_unverified_quote_does_not_count() -> None:
    story = open_story(member("h1", "herald.ly"), member("c1", "courier.ly"))
    by_outlet, _ = read_outlets(story, passages_of)
    pair = Pair(
        by_outlet["herald.ly"][0], by_outlet["courier.ly"][0], 0.5, (("deaths", "42", "17"),)
    )
    assert reading_of(pair, [_judged("refutes", verified=False)] * 2) == "NOT SETTLED"


def test_the_comparing_judge_is_the_fact_check_judge_with_one_lift() -> None:
    llm = FakeListChatModel(responses=["TRUE"])
    prompts = load_prompts(PROJECT_ROOT / "prompts")
    factcheck = FactCheckChain(llm, lambda q, f: [], prompts, 0.2)
    judge = comparison_judge(factcheck)
    comparing = judge.__self__  # type: ignore[attr-defined]
    assert comparing.judge.prompt is factcheck.judge.prompt
    compared = comparing.judge.thresholds
    assert compared.support_lift == compared.refute_lift == REFUTE_LIFT
    assert compared.support_margin == compared.refute_margin == NO_MARGIN
    # The fact check itself keeps its own thresholds, and one comparing chain serves it.
    assert factcheck.judge.thresholds == FACT_CHECK
    assert (FACT_CHECK.support_lift, FACT_CHECK.refute_lift) == (SUPPORT_LIFT, REFUTE_LIFT)
    assert comparison_judge(factcheck).__self__ is comparing  # type: ignore[attr-defined]


def test_the_reports_come_first_then_each_pair_as_it_is_judged() -> None:
    story = open_story(member("h1", "herald.ly"), member("c1", "courier.ly"))
    steps = list(coverage_steps(story, passages_of, scripted_judge([])))
    first, last = steps[0], steps[-1]
    assert first.outlets and first.facts == [] and first.pending == len(last.facts) >= 2
    assert [len(s.facts) for s in steps] == list(range(len(last.facts) + 1))
    assert last.pending == 0 and last.notes
