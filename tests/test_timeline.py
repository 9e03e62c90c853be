"""Timelines: event dates read from sentences, and events put in the order they happened
whatever the order they were reported in."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.stories.event_dates import event_date
from assistant.stories.timeline import (
    TimelineSource,
    article_sentences,
    build_timeline,
    timeline_lines,
)
from assistant.text import sentences

WEDNESDAY = date(2022, 3, 9)


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("The ministers met on Monday to sign it.", date(2022, 3, 7)),
        ("The vote was held on Wednesday.", WEDNESDAY),  # the day of publication
        ("They met last Wednesday.", date(2022, 3, 2)),
        ("They meet again next Friday.", date(2022, 3, 11)),
        ("Yesterday the court ruled.", date(2022, 3, 8)),
        ("Talks opened on 5 March in Geneva.", date(2022, 3, 5)),
        ("Talks opened on March 5th in Geneva.", date(2022, 3, 5)),
        ("The law was passed on March 5, 2021.", date(2021, 3, 5)),
        ("The summit is set for 20 April.", date(2022, 4, 20)),
        ("The fire started on 20 December.", date(2021, 12, 20)),  # last year's December
        ("The report was due 2022-02-28 at noon.", date(2022, 2, 28)),
    ],
)
def test_event_dates_resolved_against_publication(sentence: str, expected: date) -> None:
    found = event_date(sentence, WEDNESDAY)
    assert found is not None and found.day == expected


def test_no_date_in_the_sentence() -> None:
    assert event_date("The accord was signed after long talks.", WEDNESDAY) is None
    assert event_date("Prices rose 5 percent in May.", WEDNESDAY) is None


def test_the_first_date_of_the_sentence_counts() -> None:
    found = event_date("On Monday the talks that began on 1 March ended.", WEDNESDAY)
    assert found is not None and found.day == date(2022, 3, 7) and found.phrase == "Monday"


# Reported out of order: the latest report first, the earliest last.
ARTICLES = [
    (
        "Parliament ratifies the accord",
        date(2022, 3, 10),  # Thursday
        "Parliament ratified the border accord by a wide margin in a late session. "
        "Yesterday the deputies voted 301 to 45 to ratify the border accord.",
    ),
    (
        "Ministers sign the accord",
        date(2022, 3, 9),  # Wednesday
        "The two foreign ministers signed the border accord in a brief ceremony. "
        "The ministers met on Monday in Vienna to sign the border accord after weeks of talks.",
    ),
    (
        "Border talks open",
        date(2022, 3, 7),  # Monday
        "Negotiators from both countries began talks on the disputed border region. "
        "The talks opened on 5 March in Geneva with a closed first session of envoys.",
    ),
]


def crafted_timeline() -> list[str]:
    articles = [
        (TimelineSource(n, f"a{n}", title, day.isoformat(), "wire.com", ""), day, sentences(text))
        for n, (title, day, text) in enumerate(ARTICLES, start=1)
    ]
    return list(timeline_lines(build_timeline("Border accord", articles)))


def test_events_in_the_order_they_happened() -> None:
    lines = crafted_timeline()
    events = [line for line in lines if line[:4] == "2022"]
    assert events[0].startswith("2022-03-05 (reported 2022-03-07)  The talks opened on 5 March")
    assert events[0].endswith("[3]")
    dated = [line[:10] for line in events]
    assert dated == sorted(dated)
    assert "2022-03-07 (reported 2022-03-09)  The ministers met on Monday" in "\n".join(events)
    assert "2022-03-09 (reported 2022-03-10)  Yesterday the deputies voted" in "\n".join(events)


def test_a_sentence_dated_by_its_publication_shows_one_date() -> None:
    lines = crafted_timeline()
    signed = next(line for line in lines if "signed the border accord" in line)
    assert signed.startswith("2022-03-09  ") and "reported" not in signed


def test_sources_listed_under_the_events() -> None:
    lines = crafted_timeline()
    assert "[1] Parliament ratifies the accord (2022-03-10, wire.com)" in lines


def test_the_same_event_from_two_articles_is_listed_once() -> None:
    text = "The ministers met on Monday in Vienna to sign the border accord after weeks of talks."
    articles = [
        (TimelineSource(1, "a", "A", "2022-03-09", "a.com", ""), date(2022, 3, 9), [text]),
        (TimelineSource(2, "b", "B", "2022-03-10", "b.com", ""), date(2022, 3, 10), [text]),
    ]
    timeline = build_timeline("x", articles)
    assert [e.source for e in timeline.events] == [1]  # the first report


def test_overlapping_chunks_give_each_sentence_once() -> None:
    from assistant.types import Passage

    def chunk(index: int, text: str) -> Passage:
        return Passage(f"c{index}", "a", index, text, "T", "2022-03-09", "s", "")

    found = article_sentences([chunk(1, "Two here. Three here."), chunk(0, "One here. Two here.")])
    assert found == ["One here.", "Two here.", "Three here."]
