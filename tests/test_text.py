"""The shared text rules: sentences of hard-wrapped text stay whole."""

from __future__ import annotations

from assistant.text import sentences


def test_a_hard_wrapped_sentence_is_one_sentence() -> None:
    text = (
        "President Volodymyr Zelenskyy signed a decree on Thursday to speed up the production of\n"
        "drones at home, after a night of attacks. The decree gives factories\n"
        "cheaper loans."
    )
    assert sentences(text) == [
        "President Volodymyr Zelenskyy signed a decree on Thursday to speed up the production "
        "of drones at home, after a night of attacks.",
        "The decree gives factories cheaper loans.",
    ]


def test_headings_and_list_items_stay_on_their_own() -> None:
    text = (
        "Strategic Dialogue\nThe leaders spoke on Monday.\n\n"
        "- a bullet long enough to be prose without any stop at its end\n- the next bullet"
    )
    assert sentences(text) == [
        "Strategic Dialogue",
        "The leaders spoke on Monday.",
        "- a bullet long enough to be prose without any stop at its end",
        "- the next bullet",
    ]
