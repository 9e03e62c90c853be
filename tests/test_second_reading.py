"""The second, short reading that checks an answer to a one-fact question: which questions
it checks, how its reply is read, when the two readings agree, and what the chain does when
they differ (LangChain's fake chat model: no model server needed)."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.qa import EMPTY_ANSWER
from assistant.answer.second_reading import (
    UNSETTLED,
    asks_for_one_fact,
    lists_candidates,
    readings_agree,
    short_answer,
    tells_more_than,
)
from assistant.app.render import provenance
from assistant.types import Answer, Retrieved, Token
from tests.test_qa_chain import make_chain, passage


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Who did Zelenskyy speak with?", True),
        ("Which airline announced a deal to buy Spirit Airlines?", True),
        ("How many months was her detention extended?", True),
        ("The IRS announced it will do what this week?", True),
        ("A court ruled on Monday. Where was the event?", True),
        ("What did Zelenskyy say about the agreement?", False),
        ("What happened at the summit?", False),
        ("Why did the talks fail?", False),
        ("Summarize the news about the bridge.", False),
        ("What is the latest on the strike?", False),
    ],
)
def test_only_questions_that_ask_for_one_fact_are_checked(question: str, expected: bool) -> None:
    assert asks_for_one_fact(question) is expected


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("Pedro Sánchez", "Pedro Sánchez"),
        ("Answer: Pedro Sánchez [1].\nHe is Spain's prime minister.", "Pedro Sánchez"),
        ("“Squid Game”", "Squid Game"),
        ("not stated", ""),
        ("The articles I have do not say.", ""),
        ("", ""),
    ],
)
def test_the_short_reply_is_read_as_its_answer_alone(reply: str, expected: str) -> None:
    assert short_answer(reply) == expected


def test_readings_agree_when_the_answer_names_what_the_short_reading_gave() -> None:
    answer = "Zelenskyy spoke with Spanish Prime Minister Pedro Sánchez on Monday [1]."
    assert readings_agree(answer, "Pedro Sánchez")
    assert readings_agree("The fine was $12,600,000 [2].", "$12.6 million")
    assert not readings_agree(answer, "Emmanuel Macron")
    assert not readings_agree(answer, "")  # no short answer agrees with nothing
    assert not readings_agree("It lasted several months [6].", "6")  # a citation is no number


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("[1] Toyota [2]. GM [3]. Ford", True),
        ("[1] [2]. Kelsey Donohue, [3]. Dick Durbin, [4]. Pritzker.", True),
        ("- JetBlue [1]\n- Frontier [1]", True),
        ("Toyota [1].", False),  # one candidate is an answer
        ("Zelenskyy spoke with Pedro Sánchez [1]. They met in Kyiv [1].", False),
    ],
)
def test_an_answer_that_lists_candidates_is_told_apart(answer: str, expected: bool) -> None:
    assert lists_candidates(answer) is expected


def test_a_list_of_candidates_does_not_agree_with_the_one_it_includes(cache_dir: object) -> None:
    assert not readings_agree("[1] Toyota [2]. GM [3]. Ford", "Toyota")
    # The short reading, backed by a passage sentence about the question, is shown instead.
    chain, _, _ = make_chain(["JetBlue [1]. Frontier [1]. Spirit [1].", "JetBlue"], [DEAL])
    answer = list(chain.stream(QUESTION, today=date(2024, 3, 26)))[-1]
    assert isinstance(answer, Answer) and answer.second_reading == "short"
    assert answer.text == "JetBlue [1]."


def test_an_answer_the_second_reading_confirms_is_shown_and_says_so(cache_dir: object) -> None:
    chain, llm, _ = make_chain(
        ["Zelenskyy spoke with Pedro Sánchez [1].", "Pedro Sánchez"],
        [passage(1, "Zelenskyy spoke with Pedro Sánchez on Monday.")],
    )
    events = list(chain.stream("Who did Zelenskyy speak with?", today=date(2024, 3, 26)))
    assert isinstance(events[0], Retrieved) and events[0].checked_whole
    answer = events[-1]
    assert isinstance(answer, Answer) and answer.second_reading == "agreed"
    assert answer.text == "Zelenskyy spoke with Pedro Sánchez [1]." and answer.cited == [1]
    # The check reads the same passages for the same question, asked for the answer only.
    first, second = llm.seen
    assert "answer only" in second[0].content and "answer only" not in first[0].content
    assert second[1].content.startswith(first[1].content.rsplit("\n", 1)[0])
    assert provenance(answer, "m").endswith("a second, short reading of the passages agreed")


def test_readings_that_differ_withhold_the_answer(cache_dir: object) -> None:
    # The short reading names someone no passage names: neither reading is shown.
    chain, _, _ = make_chain(
        ["Zelenskyy spoke with the council on Monday [1].", "Emmanuel Macron"],
        [passage(1, "Zelenskyy spoke with Pedro Sánchez on Monday. The council met.")],
    )
    events = list(chain.stream("Who did Zelenskyy speak with?", today=date(2024, 3, 26)))
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.text == UNSETTLED and answer.cited == [] and answer.second_reading == "withheld"
    assert answer.written == UNSETTLED
    # Saying why there is no answer needs no source: nothing is marked "not found".
    assert answer.attribution is not None and answer.attribution.render() == UNSETTLED
    assert not any(s.needs_source for s in answer.attribution.sentences)
    assert "council" in "".join(e.text for e in events if isinstance(e, Token))  # streamed
    assert "withheld" in provenance(answer, "m")


QUESTION = "Which airline agreed to buy Spirit Airlines in July?"
DEAL = passage(
    1,
    "Shareholders met on Monday. JetBlue agreed to buy Spirit Airlines in July for $3.8 "
    "billion. Frontier had also bid.",
)


def test_a_short_reading_a_passage_sentence_backs_is_shown_instead(cache_dir: object) -> None:
    chain, _, _ = make_chain(["Shareholders met on Monday [1].", "JetBlue"], [DEAL])
    answer = list(chain.stream(QUESTION, today=date(2024, 3, 26)))[-1]
    assert isinstance(answer, Answer) and answer.second_reading == "short"
    assert answer.text == "JetBlue [1]." and answer.cited == [1]
    assert answer.written == "JetBlue [1]."  # the full reading is neither shown nor scored
    assert answer.attribution is not None
    (sentence,) = answer.attribution.sentences
    assert sentence.sources[0].quote.startswith("JetBlue agreed to buy Spirit Airlines")
    assert "shown because the quoted passage sentence names it" in provenance(answer, "m")


def test_a_short_reading_no_sentence_about_the_question_names_is_not_shown(
    cache_dir: object,
) -> None:
    # "Frontier" is named, but in a sentence that shares no word with the question.
    chain, _, _ = make_chain(["Shareholders met on Monday [1].", "Frontier"], [DEAL])
    answer = list(chain.stream(QUESTION, today=date(2024, 3, 26)))[-1]
    assert isinstance(answer, Answer) and answer.second_reading == "withheld"
    assert answer.text == UNSETTLED


def test_an_empty_answer_is_replaced_by_a_backed_short_reading(cache_dir: object) -> None:
    chain, _, _ = make_chain(["[1] [2]", "JetBlue"], [DEAL])
    answer = list(chain.stream(QUESTION, today=date(2024, 3, 26)))[-1]
    assert isinstance(answer, Answer) and answer.second_reading == "short"
    assert answer.text == "JetBlue [1]."
    # Without a backed short reading, the reader is told the model gave no answer.
    chain, _, _ = make_chain(["[1] [2]", "not stated"], [DEAL])
    answer = list(chain.stream(QUESTION, today=date(2024, 3, 26)))[-1]
    assert isinstance(answer, Answer) and answer.second_reading is None
    assert answer.text == EMPTY_ANSWER


def test_a_short_reading_that_repeats_the_question_checks_nothing(cache_dir: object) -> None:
    assert not tells_more_than("Vladimir Zelenskyy", "Who did Zelenskyy speak with?")
    assert not tells_more_than("Spirit Airlines", "Which airline will buy Spirit Airlines?")
    assert tells_more_than("Pedro Sánchez", "Who did Zelenskyy speak with?")
    assert tells_more_than("Yellowstone National Park", "Which national park was flooded?")
    assert tells_more_than("12 years", "How many years was his sentence?")
    chain, _, _ = make_chain(
        ["Zelenskyy spoke with Pedro Sánchez [1].", "Vladimir Zelenskyy"],
        [passage(1, "Zelenskyy spoke with Pedro Sánchez on Monday.")],
    )
    answer = list(chain.stream("Who did Zelenskyy speak with?", today=date(2024, 3, 26)))[-1]
    assert isinstance(answer, Answer) and answer.second_reading is None
    assert answer.text == "Zelenskyy spoke with Pedro Sánchez [1]."
    assert provenance(answer, "m") == "Answered by m"


def test_an_account_or_an_abstention_is_not_read_twice(cache_dir: object) -> None:
    chain, llm, _ = make_chain(
        ["They discussed air defence [1]."], [passage(1, "They discussed air defence.")]
    )
    events = list(chain.stream("What did they discuss?", today=date(2024, 3, 26)))
    assert isinstance(events[0], Retrieved) and not events[0].checked_whole
    assert len(llm.seen) == 1 and events[-1].second_reading is None  # type: ignore[union-attr]
    chain, llm, _ = make_chain(["The articles I have do not say."], [passage(1)])
    events = list(chain.stream("Who paid for the bridge?", today=date(2024, 3, 26)))
    assert len(llm.seen) == 1 and events[-1].second_reading is None  # type: ignore[union-attr]


def test_the_check_can_be_turned_off(cache_dir: object) -> None:
    from assistant.answer.prompts import load_prompts
    from assistant.answer.qa import QAChain
    from assistant.config import PROJECT_ROOT
    from tests.test_qa_chain import RecordingModel

    llm = RecordingModel(responses=["Zelenskyy spoke with the council [1]."], seen=[])
    chain = QAChain(
        llm,
        lambda q, f: [passage(1)],
        load_prompts(PROJECT_ROOT / "prompts"),
        800,
        0.2,
        second_reading=False,
    )
    events = list(chain.stream("Who did Zelenskyy speak with?", today=date(2024, 3, 26)))
    assert len(llm.seen) == 1 and events[-1].second_reading is None  # type: ignore[union-attr]
