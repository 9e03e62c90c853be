"""The two-line reply (answer, then the sentence it rests on) as the reader sees it, whole
and while it streams."""

from __future__ import annotations

import pytest

from assistant.answer.reply_form import ReplyStream, short_answer

REPLY = (
    "Answer: Pedro Sánchez [1].\n"
    "Source: Zelenskyy spoke with Spanish Prime Minister Pedro Sánchez on Monday."
)


def test_the_answer_line_is_what_the_reader_sees() -> None:
    assert short_answer(REPLY) == "Pedro Sánchez [1]."


def test_the_source_lines_citation_joins_an_answer_without_one() -> None:
    reply = "**Answer:** Pedro Sánchez\n**Source:** Zelenskyy spoke with Sánchez. [2]"
    assert short_answer(reply) == "Pedro Sánchez [2]."


@pytest.mark.parametrize(
    "reply",
    [
        "Zelenskyy spoke with Pedro Sánchez [1].",
        "The articles I have do not say.",
        "The answer: nobody knows [1].",
    ],
)
def test_a_reply_in_another_form_is_shown_as_it_is(reply: str) -> None:
    assert short_answer(reply) == reply


@pytest.mark.parametrize("size", [1, 3, 7, 50])
def test_streaming_shows_the_answer_line_only(size: int) -> None:
    stream = ReplyStream()
    pieces = [REPLY[i : i + size] for i in range(0, len(REPLY), size)]
    shown = "".join(stream.feed(piece) for piece in pieces) + stream.flush()
    assert shown == "Pedro Sánchez [1]."


@pytest.mark.parametrize("reply", ["No.", "Zelenskyy spoke with Pedro Sánchez [1]."])
def test_streaming_a_reply_in_another_form_shows_all_of_it(reply: str) -> None:
    stream = ReplyStream()
    shown = "".join(stream.feed(c) for c in reply) + stream.flush()
    assert shown == reply
