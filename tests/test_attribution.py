"""Citations are checked against the passages after the answer is written."""

from __future__ import annotations

from assistant.answer.attribution import attribute, split_cited
from assistant.types import NOT_FOUND, Passage


def passage(n: int, text: str) -> Passage:
    return Passage(f"c{n}", f"a{n}", 0, text, f"Title {n}", "2024-03-25", "Wire", "")


BRIDGE = passage(
    1, "The council voted on Monday. The Valdera bridge repairs cost 48 million euros."
)
WEATHER = passage(2, "Heavy rain flooded dozens of homes in the valley on Sunday.")


def test_a_number_out_of_range_is_replaced_by_the_supporting_passage() -> None:
    result = attribute("The Valdera bridge repairs cost 48 million euros [3].", [BRIDGE])
    assert result.cited == [1]
    assert result.render() == "The Valdera bridge repairs cost 48 million euros [1]."
    assert result.quotes(1) == ["The Valdera bridge repairs cost 48 million euros."]


def test_a_citation_of_the_wrong_passage_moves_to_the_right_one() -> None:
    result = attribute("Rain flooded dozens of homes in the valley [1].", [BRIDGE, WEATHER])
    assert result.sentences[0].written == (1,)
    assert result.cited == [2]
    assert result.render().endswith("valley [2].")


def test_a_sentence_no_passage_supports_is_marked_and_not_cited() -> None:
    result = attribute(
        "The bridge repairs cost 48 million euros [1]. The mayor resigned in protest [1].",
        [BRIDGE, WEATHER],
    )
    assert [s.unsupported for s in result.sentences] == [False, True]
    assert result.render() == (
        f"The bridge repairs cost 48 million euros [1]. The mayor resigned in protest {NOT_FOUND}."
    )


def test_a_wrong_number_is_not_supported_by_a_passage_with_the_same_words() -> None:
    result = attribute("The Valdera bridge repairs cost 40 million euros [1].", [BRIDGE])
    assert result.cited == [] and result.sentences[0].unsupported


def test_a_citation_standing_alone_joins_the_sentence_before() -> None:
    pieces = split_cited("[1]. The Valdera bridge repairs cost 48 million euros. [2]")
    assert pieces == [("The Valdera bridge repairs cost 48 million euros.", (2,), False)]
    shown = attribute(
        "Zelenskyy spoke with Sánchez and [2].", [passage(1, "Zelenskyy spoke with Sánchez.")]
    )
    assert shown.render() == "Zelenskyy spoke with Sánchez [1]."
    assert "[" not in shown.render().split("[1]")[1]


def test_a_leading_citation_belongs_to_the_sentence_before() -> None:
    pieces = split_cited("Repairs cost 48 million euros. [1] The council voted [1].")
    assert pieces[0][1] == (1,) and pieces[1] == ("The council voted.", (1,), False)


def test_saying_the_articles_do_not_tell_needs_no_source() -> None:
    result = attribute("The articles I have do not say.", [BRIDGE])
    assert result.cited == [] and not result.sentences[0].unsupported
    assert result.render() == "The articles I have do not say."


def test_lines_are_kept() -> None:
    result = attribute(
        "- The council voted on Monday [1].\n- Rain flooded homes in the valley [2].",
        [BRIDGE, WEATHER],
    )
    assert (
        result.render()
        == "- The council voted on Monday [1].\n- Rain flooded homes in the valley [2]."
    )


def test_a_passage_that_lacks_a_name_of_the_sentence_does_not_support_it() -> None:
    call = passage(1, "President Volodymyr Zelenskyy spoke with Pedro Sánchez by phone.")
    decree = passage(2, "President Volodymyr Zelenskyy signed a decree on Thursday.")
    result = attribute("President Volodymyr Zelenskyy spoke with Sánchez [1][2].", [call, decree])
    assert result.cited == [1]


def test_a_sentence_written_twice_is_shown_once() -> None:
    result = attribute(
        "The council voted on Monday [1]. The council voted on Monday [1].", [BRIDGE]
    )
    assert result.render() == "The council voted on Monday [1]."
