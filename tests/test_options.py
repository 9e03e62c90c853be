"""Questions that list their options: parsed from the ways people type them, and settled by
the sentences of the passages that name an option near the question's words."""

from __future__ import annotations

import pytest

from assistant.answer.attribution import support
from assistant.answer.options import NOT_SETTLED, answer_from_options, listed_options
from assistant.types import Passage


def _passage(text: str, n: int) -> Passage:
    return Passage(
        text=text,
        title=f"Article {n}",
        source="Example News",
        published="2022-06-16",
        url="",
        article_id=f"a{n}",
        chunk_id=f"a{n}-0",
        index=0,
        score=0.9,
    )


@pytest.mark.parametrize(
    "question",
    [
        "Which show was renewed?\nOptions: (A) Friends; (B) Squid Game; (C) Lost",
        "Which show was renewed? (A) Friends (B) Squid Game (C) Lost",
        "Which show was renewed?\nA) Friends\nB) Squid Game\nC) Lost",
        "Which show was renewed?\na. Friends\nb. Squid Game\nc. Lost",
        "Which show was renewed? Choices: (a) Friends, (b) Squid Game, or (c) Lost",
    ],
)
def test_options_are_read_as_typed(question: str) -> None:
    listed = listed_options(question)
    assert listed is not None
    assert listed.stem == "Which show was renewed?"
    assert listed.options == ("Friends", "Squid Game", "Lost")


@pytest.mark.parametrize(
    "question",
    [
        "Who did Zelenskyy speak with?",
        "What did Joe A. Smith say about plan B)?",
        "Is (B) the same as (C) here?",  # letters that do not start at A
        "Which one: (A) only one option?",
    ],
)
def test_a_question_without_options_is_left_alone(question: str) -> None:
    assert listed_options(question) is None


SHOW = listed_options("Which show was renewed for a new season? (A) Friends (B) Squid Game")


def test_the_option_named_near_the_question_words_is_picked_and_quoted() -> None:
    assert SHOW is not None
    passages = [
        _passage("Friends aired its last episode in 2004. It was a hit.", 1),
        _passage("Netflix said Squid Game was renewed for a second season. Fans cheered.", 2),
    ]
    picked = answer_from_options(SHOW, passages)
    assert picked.render() == "(B) Squid Game [2]."
    assert picked.quotes(2) == ["Netflix said Squid Game was renewed for a second season."]


def test_no_option_named_says_the_articles_do_not_settle_it() -> None:
    assert SHOW is not None
    picked = answer_from_options(SHOW, [_passage("Netflix renewed a Korean drama.", 1)])
    assert picked.render() == NOT_SETTLED
    assert picked.cited == []


def test_two_options_weighed_alike_are_both_named_and_neither_picked() -> None:
    assert SHOW is not None
    passages = [_passage("Friends and Squid Game were both renewed for a new season.", 1)]
    picked = answer_from_options(SHOW, passages)
    assert "do not settle" in picked.render()
    assert "(A) Friends" in picked.render() and "(B) Squid Game" in picked.render()


def test_the_picked_option_passes_the_citation_check_of_its_passage() -> None:
    assert SHOW is not None
    passages = [_passage("Netflix said Squid Game was renewed for a second season.", 1)]
    sentence = answer_from_options(SHOW, passages).sentences[0]
    assert sentence.written == (1,)
    assert support(sentence.text, 1, passages[0]) is not None
