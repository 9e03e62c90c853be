"""Stories: grouping rules on crafted leads (unit), and grouping at ingest in a real store
with the real embeddings (integration)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pytest

from assistant.app.compose import Services, build_services
from assistant.config import Settings
from assistant.ingest.sync import ingest_paths
from assistant.stories.grouping import MIN_STORY_ARTICLES, ArticleLead, StoryGrouper
from assistant.stories.names import article_names
from assistant.stories.table import StoryTable

FLOOD = "Floods hit Montana as the Yellowstone River rose; Governor Gianforte declared a disaster."
STRIKE = "Rail workers in Britain walked out on Tuesday; Network Rail cancelled most trains."


def axis(*weights: float) -> list[float]:
    """A vector with the given leading weights in 8 dimensions (normalized by grouping)."""
    return [*weights, *([0.0] * (8 - len(weights)))]


def lead(
    article_id: str,
    vector: list[float] | None,
    day: date | None,
    text: str = FLOOD,
    source: str = "a.com",
    title: str = "",
    duplicate_of: str = "",
) -> ArticleLead:
    return ArticleLead(
        article_id, title or article_id, day, source, text, vector, duplicate_of=duplicate_of
    )


@pytest.fixture
def grouper() -> StoryGrouper:
    return StoryGrouper(StoryTable(None))


def test_close_leads_within_days_make_one_story(grouper: StoryGrouper) -> None:
    first = grouper.add(lead("a", axis(1, 0.1), date(2022, 6, 13)))
    second = grouper.add(lead("b", axis(1, 0.2), date(2022, 6, 14), source="b.com"))
    assert first == second
    (story,) = grouper.table.stories(MIN_STORY_ARTICLES)
    assert story.articles == 2
    assert set(story.sources) == {"a.com", "b.com"}
    assert story.span == "2022-06-13 – 2022-06-14"


def test_a_story_of_one_article_is_not_listed(grouper: StoryGrouper) -> None:
    grouper.add(lead("a", axis(1), date(2022, 6, 13)))
    grouper.add(lead("b", axis(0, 1), date(2022, 6, 13), text=STRIKE))
    assert grouper.table.stories(MIN_STORY_ARTICLES) == []
    assert len(grouper.table.stories(1)) == 2


def test_same_lead_weeks_apart_is_another_story(grouper: StoryGrouper) -> None:
    first = grouper.add(lead("a", axis(1), date(2022, 6, 1)))
    later = grouper.add(lead("b", axis(1), date(2022, 6, 20)))
    assert first != later


def test_fairly_close_leads_need_shared_names(grouper: StoryGrouper) -> None:
    # cosine 0.7: below the similarity that is enough alone
    other = [0.7, float(np.sqrt(1 - 0.49))]
    a = grouper.add(lead("a", axis(1), date(2022, 6, 13)))
    b = grouper.add(lead("b", axis(*other), date(2022, 6, 13), text=STRIKE))
    c = grouper.add(lead("c", axis(*other), date(2022, 6, 13), title="Montana floods"))
    assert a != b  # different names
    assert a == c  # Montana, Yellowstone, Gianforte shared


def test_syndicated_copy_counts_once(grouper: StoryGrouper) -> None:
    a = grouper.add(lead("a", axis(1), date(2022, 6, 13), title="Floods"))
    copy = grouper.add(
        lead("a2", axis(1), date(2022, 6, 13), source="b.com", title="Floods", duplicate_of="a")
    )
    assert a == copy
    assert grouper.table.stories(MIN_STORY_ARTICLES) == []  # one article, two outlets
    third = grouper.add(lead("c", axis(1, 0.1), date(2022, 6, 14), source="c.com"))
    assert third == a
    (story,) = grouper.table.stories(MIN_STORY_ARTICLES)
    assert story.articles == 2
    assert set(story.sources) == {"a.com", "b.com", "c.com"}


def test_one_outlets_page_furniture_is_not_a_story(grouper: StoryGrouper) -> None:
    ad = "How relevant is this ad to you? Video player was slow to load content."
    grouper.add(lead("a", axis(1), date(2022, 6, 13), text=ad, title="Ford recall"))
    grouper.add(lead("b", axis(1), date(2022, 6, 14), text=ad, title="Sprite bottle"))
    assert grouper.table.stories(MIN_STORY_ARTICLES) == []


def test_undated_and_empty_articles_are_kept_out(grouper: StoryGrouper) -> None:
    assert grouper.add(lead("a", axis(1), None)) == ""
    assert grouper.add(lead("b", None, date(2022, 6, 13))) == ""
    assert grouper.table.undated_count() == 1
    assert grouper.table.count_members() == 2


def test_an_article_joining_two_stories_merges_them(grouper: StoryGrouper) -> None:
    left = grouper.add(lead("a", axis(1, 0), date(2022, 6, 13)))
    right = grouper.add(lead("b", axis(0, 1), date(2022, 6, 13), text=STRIKE))
    assert left != right
    both = grouper.add(lead("c", axis(1, 1), date(2022, 6, 14), text=FLOOD + " " + STRIKE))
    assert both == left
    assert {m.article_id for m in grouper.table.story_members(left)} == {"a", "b", "c"}
    assert grouper.table.story(right) is None


def test_removing_an_article_updates_its_story(grouper: StoryGrouper) -> None:
    story = grouper.add(lead("a", axis(1), date(2022, 6, 13)))
    grouper.add(lead("b", axis(1, 0.1), date(2022, 6, 14)))
    grouper.remove(["b"])
    assert grouper.table.stories(MIN_STORY_ARTICLES) == []
    assert grouper.table.story(story) is not None  # a.com's article is still there


def test_source_and_date_filters(grouper: StoryGrouper) -> None:
    grouper.add(lead("a", axis(1), date(2022, 6, 13)))
    grouper.add(lead("b", axis(1, 0.1), date(2022, 6, 14), source="b.com"))
    table = grouper.table
    assert len(table.stories(2, source="b.com")) == 1
    assert table.stories(2, source="b.co") == []  # a whole outlet name, not a part
    assert table.stories(2, since_day=20220615) == []
    assert len(table.stories(2, since_day=20220614, until_day=20220614)) == 1


def test_names_skip_sentence_openers_and_calendar_words() -> None:
    names = article_names("", "The river rose on Monday. Governor Greg Gianforte spoke in Montana.")
    assert {"gianforte", "montana", "greg"} <= set(names)
    assert not {"the", "monday"} & set(names)


# ---- a real store -----------------------------------------------------------------------

REPORTS = [
    (
        "y1",
        "2022-06-13",
        "usatoday.com",
        "Yellowstone closes after record floods",
        "Yellowstone National Park closed all entrances on Monday after record flooding washed "
        "out roads and bridges in Montana. Rangers evacuated visitors from the northern loop.",
    ),
    (
        "y2",
        "2022-06-14",
        "cnn.com",
        "Floods force Yellowstone to shut",
        "Record floodwaters forced Yellowstone National Park to close its entrances as rivers "
        "in southern Montana washed away roads and a bridge. Visitors were evacuated.",
    ),
    (
        "r1",
        "2022-06-14",
        "theweek.co.uk",
        "Rail strike brings Britain to a halt",
        "Britain's biggest rail strike in thirty years began on Tuesday as the RMT union walked "
        "out over pay; Network Rail ran a fifth of services.",
    ),
    (
        "u1",
        "2022-06-15",
        "cnn.com",
        "Fed raises rates",
        "The Federal Reserve raised interest rates by three quarters of a point on Wednesday, "
        "its largest increase since 1994, to fight inflation.",
    ),
    ("n1", "", "cnn.com", "An undated note", "An article without a date about the weather."),
]


def write_reports(path: Path) -> None:
    path.write_text(
        "".join(
            json.dumps({"id": i, "published": d, "source": s, "title": t, "text": x}) + "\n"
            for i, d, s, t, x in REPORTS
        )
    )


@pytest.fixture
def services(settings: Settings) -> Services:
    return build_services(settings)


def test_ingest_groups_reports_of_one_event(services: Services, tmp_path: Path) -> None:
    corpus = tmp_path / "news.jsonl"
    write_reports(corpus)
    ingest_paths(services.store, [corpus], 50)
    table = services.store.stories.table
    (story,) = table.stories(MIN_STORY_ARTICLES)
    assert {m.article_id for m in table.story_members(story.id)} == {"y1", "y2"}
    assert set(story.sources) == {"cnn.com", "usatoday.com"}
    assert table.undated_count() == 1

    # Removing a file's article drops it from its story (the story is then one article).
    corpus.write_text("\n".join(corpus.read_text().splitlines()[1:]) + "\n")
    ingest_paths(services.store, [corpus], 50)
    assert table.stories(MIN_STORY_ARTICLES) == []


def test_a_store_from_before_stories_is_grouped_when_opened(
    settings: Settings, tmp_path: Path
) -> None:
    corpus = tmp_path / "news.jsonl"
    write_reports(corpus)
    ingest_paths(build_services(settings).store, [corpus], 50)
    for leftover in settings.vectorstore_dir.glob("*-stories.sqlite3*"):
        leftover.unlink()
    reopened = build_services(settings).store.stories.table
    (story,) = reopened.stories(MIN_STORY_ARTICLES)
    assert story.articles == 2
