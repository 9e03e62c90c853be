"""Scoring of `assistant eval answers`: no model and no eval data needed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.answer.qa import Answer, Retrieved, Token
from assistant.errors import ConfigError
from assistant.types import Passage
from devtools.eval_answer_scoring import named_choices, outcome
from devtools.eval_answers import load_news_questions, run_one, summarize_row

SHOWS = ["“Game of Thrones”", "“Squid Game”", "“Breaking Bad”", "“Friends”"]


@pytest.mark.parametrize(
    ("answer", "choices", "gold"),
    [
        ("The fine was $12,600,000 [1].", ["$12.6 million", "$1.26 million", "$126 million"], 0),
        ("It fell by 3 percent.", ["3%", "30%", "13%"], 0),
        ("About twelve people were hurt.", ["12", "20", "2"], 0),
        (
            "Fans gathered in New York City's famed Times Square [2].",
            ["New York City's Times Square", "Chicago's Millennium Park", "Boston Common"],
            0,
        ),
        ("Netflix renewed Squid Game for a second season [1].", SHOWS, 1),
        ("The event was in Coeur d'Alene, Idaho.", ["California", "Idaho", "New York"], 1),
        ("The European Union will require it [1].", ["Europe", "North America", "Asia"], 0),
    ],
)
def test_normalized_words_and_numbers_name_the_gold_choice(
    answer: str, choices: list[str], gold: int
) -> None:
    assert named_choices(answer, choices) == [gold]
    assert outcome(answer, choices, gold) == "right"


def test_several_options_named_is_wrong_even_with_the_gold_one() -> None:
    answer = "[1] Game of Thrones [2] Squid Game [3] Breaking Bad"
    assert named_choices(answer, SHOWS) == [0, 1, 2]
    assert outcome(answer, SHOWS, 1) == "wrong"


def test_no_option_named_is_wrong_unless_the_answer_abstains() -> None:
    assert outcome("Netflix announced a new season [1].", SHOWS, 1) == "wrong"
    assert outcome("The articles I have do not say.", SHOWS, 1) == "abstained"


def test_citation_marks_name_no_number() -> None:
    magnitudes = ["5.9", "2.0", "3.3", "4.6"]
    answer = "The earthquake killed more than 1,000 people [1][2]. Its magnitude was 5.9 [2]."
    assert named_choices(answer, magnitudes) == [0]
    assert outcome("It lasted several months [4].", ["3", "4", "6"], 2) == "wrong"


def test_a_choice_inside_a_longer_named_one_is_not_named_on_its_own() -> None:
    choices = ["New York", "New York City", "Los Angeles"]
    assert named_choices("It happened in New York City.", choices) == [1]


def test_only_plural_and_demonym_endings_join_a_word_to_its_stem() -> None:
    assert named_choices("Russians voted.", ["Russia", "Ukraine"]) == [0]
    assert named_choices("He was in Chinatown.", ["China", "Japan"]) == []
    assert named_choices("Sales in Indiana rose.", ["India", "Iran"]) == []
    assert named_choices("It cost $125.", ["$12", "$20"]) == []


def test_scattered_words_do_not_name_a_choice() -> None:
    choice = ["Investment in mental health", "Ban on assault weapons"]
    answer = "The investment bill passed; lawmakers also discussed school health."
    assert named_choices(answer, choice) == []


def test_an_option_letter_counts_only_when_the_options_were_listed() -> None:
    assert named_choices("The answer is (B).", SHOWS, by_letter=True) == [1]
    assert named_choices("The answer is (B).", SHOWS) == []


def test_questions_load_with_their_split(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    records = [
        {
            "id": f"20220617_{i}",
            "date": "2022-06-16",
            "question": f"Q{i}?",
            "choices": ["a", "b"],
            "answer": 1,
            "gold_ids": ["g"],
        }
        for i in range(5)
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    assert [q.id[-1] for q in load_news_questions(path, split="odd")] == ["1", "3"]
    assert [q.id[-1] for q in load_news_questions(path, split="even", limit=2)] == ["0", "2"]
    assert "Options: (A) a; (B) b" in load_news_questions(path)[0].with_options()


def test_a_bad_question_record_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "questions.jsonl"
    path.write_text('{"id": "1", "question": "Q?", "choices": ["a"], "answer": 3}\n')
    with pytest.raises(ConfigError, match="line 1"):
        load_news_questions(path)


def _passage(n: int, text: str, article: str) -> Passage:
    return Passage(f"c{n}", article, 0, text, f"Title {n}", "2022-06-12", "cnn.com", "")


def test_one_answer_is_scored_for_gold_citations_and_time() -> None:
    from assistant.answer.attribution import attribute
    from devtools.eval_answers import NewsQuestion

    passages = [
        _passage(1, "Netflix said Squid Game is green lit for a second season.", "gold"),
        _passage(2, "The weather was mild across the region.", "other"),
    ]
    written = "Squid Game was green lit for a second season [2]. It is from South Korea [5]."
    attribution = attribute(written, passages)
    events = [
        Retrieved("q", passages, 0),
        Token(written),
        Answer(attribution.render(), passages, attribution.cited, attribution, written),
    ]
    question = NewsQuestion("20220617_0", "Which show?", None, tuple(SHOWS), 1, frozenset({"gold"}))
    result = run_one(iter(events), question, "pipeline", by_letter=False)
    assert result.outcome == "right" and result.gold_in_prompt
    assert result.first_token_s is not None and result.first_token_s <= result.total_s
    assert not result.written_in_range and result.shown_in_range
    assert result.sentences == 2 and result.written_cited == 2
    assert result.written_supported == 0  # [2] is the weather, [5] was never given
    assert result.shown_cited == 1 and result.shown_not_found == 1
    row = summarize_row([result])
    assert row["right"] == 1.0 and row["wrong"] == 0.0 and row["abstained"] == 0.0
    assert row["written_supported"] == 0.0 and row["shown_in_range"] == 1.0


def test_a_failing_question_counts_as_wrong() -> None:
    from devtools.eval_answers import NewsQuestion

    def failing():  # type: ignore[no-untyped-def]
        yield Retrieved("q", [], 0)
        raise RuntimeError("server went away")

    question = NewsQuestion("1", "Which show?", None, tuple(SHOWS), 1, frozenset())
    result = run_one(failing(), question, "pipeline", by_letter=False)
    assert result.outcome == "wrong" and "server went away" in result.error
    assert summarize_row([result])["errors"] == 1
