"""Finding stories as a reader asks for them: the latest ones for a period and an outlet,
or one story by its id (or by the id of one of its articles), with a clear message when
there is nothing to show."""

from __future__ import annotations

from dataclasses import dataclass, replace

from assistant.errors import AssistantError
from assistant.stories.grouping import MIN_STORY_ARTICLES
from assistant.stories.table import Member, Story, StoryTable
from assistant.text import day_number
from assistant.types import Filters


@dataclass(frozen=True)
class OpenStory:
    story: Story
    members: list[Member]  # oldest first, syndicated copies included

    @property
    def originals(self) -> list[Member]:
        return [m for m in self.members if not m.copy_of]


def latest_stories(table: StoryTable, filters: Filters, limit: int | None = 50) -> list[Story]:
    """Stories of two articles or more, latest first, within the filters' dates and source
    (a story counts for a period when any of its days falls in it)."""
    return table.stories(
        MIN_STORY_ARTICLES,
        since_day=day_number(filters.since) if filters.since else None,
        until_day=day_number(filters.last_day) if filters.last_day else None,
        source=filters.source,
        limit=limit,
    )


def no_stories_message(table: StoryTable, filters: Filters) -> str:
    """Why the list is empty, and what to do."""
    if table.count_members() == 0:
        return "The corpus has no articles yet: add some (assistant ingest, or the Articles tab)."
    narrowed = filters.since or filters.last_day or filters.source
    text = (
        "No story (two articles or more on one event) matches these dates and source; widen them."
        if narrowed
        else "No two articles in the corpus report the same event, so there are no stories yet."
    )
    undated = table.undated_count()
    if undated:
        text += (
            f" {undated} article(s) have no publication date and are not grouped into stories:"
            " give them a date (a `date` or `published` field) and ingest them again."
        )
    return text


def open_story(table: StoryTable, wanted: str) -> OpenStory:
    """A story by its id, or the story of an article by the article's id."""
    wanted = wanted.strip()
    story = table.story(wanted)
    if story is None:
        member = table.member(wanted)
        if member is not None and not member.story_id:
            reason = (
                "it has no publication date" if member.day is None else "it has no text to compare"
            )
            raise AssistantError(f"Article '{wanted}' is in no story: {reason}.")
        story = table.story(member.story_id) if member is not None else None
    if story is None:
        raise AssistantError(
            f"No story or article has the id '{wanted}': list the stories with "
            "`assistant stories` (or the Stories tab)."
        )
    if story.articles < MIN_STORY_ARTICLES:
        raise AssistantError(
            f"'{wanted}' is a single article ({story.headline!r}, {story.span}); a story needs "
            f"at least {MIN_STORY_ARTICLES} articles on one event, and no other article in "
            "the corpus reports this one."
        )
    return OpenStory(story, table.story_members(story.id))


def story_articles(table: StoryTable, wanted: str) -> OpenStory:
    """The story a question is asked about (by its id or an article's), whose articles,
    syndicated copies included, are the only ones retrieval may use."""
    if not wanted.strip():
        raise AssistantError("Name a story: its id, from `assistant stories` or the Stories tab.")
    return open_story(table, wanted)


def scoped(filters: Filters, opened: OpenStory) -> Filters:
    """The filters, narrowed to the story's articles."""
    return replace(filters, article_ids=tuple(m.article_id for m in opened.members))
