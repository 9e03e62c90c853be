"""A briefing: what happened in the days up to a date, as the top stories of the period,
ranked by how many articles and outlets reported them, one cited sentence each.

The sentence is the most salient one of the story's most central article of the period,
word for word (:mod:`assistant.answer.key_sentences`), so a briefing states nothing an
article does not. Nothing published after the as-of date is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from assistant.answer.key_sentences import key_sentences
from assistant.errors import AssistantError
from assistant.stories.grouping import MIN_STORY_ARTICLES, most_central
from assistant.stories.table import Story, StoryTable
from assistant.stories.timeline import PassagesOf, TimelineSource, article_sentences
from assistant.text import day_number

# The words of a briefing's sentence: one sentence, not a paragraph.
SENTENCE_WORDS = 45


@dataclass(frozen=True)
class BriefItem:
    story: Story
    articles: int  # in the period, syndicated copies counted once
    outlets: tuple[str, ...]  # in the period
    sentence: str
    source: TimelineSource


@dataclass(frozen=True)
class Briefing:
    as_of: date
    days: int
    items: list[BriefItem]

    @property
    def period(self) -> str:
        if self.days == 1:
            return f"{self.as_of.isoformat()}"
        first = self.as_of - timedelta(days=self.days - 1)
        return f"{first.isoformat()} to {self.as_of.isoformat()}"


def build_briefing(
    table: StoryTable, passages_of: PassagesOf, as_of: date, days: int, limit: int = 10
) -> Briefing:
    """The top ``limit`` stories with articles in the ``days`` days ending on ``as_of``."""
    if days < 1:
        raise AssistantError("A briefing covers at least 1 day: give --days 1 or more.")
    first, last = day_number(as_of - timedelta(days=days - 1)), day_number(as_of)
    ranked = []
    for story in table.stories(MIN_STORY_ARTICLES, since_day=first, until_day=last):
        members = [m for m in table.story_members(story.id) if m.day is not None]
        known = [m for m in members if m.day is not None and m.day <= last and not m.copy_of]
        period = [m for m in members if m.day is not None and first <= m.day <= last]
        originals = [m for m in period if not m.copy_of]
        if len(known) < MIN_STORY_ARTICLES or not originals:
            continue  # a story only once later articles are counted
        outlets = tuple(dict.fromkeys(m.source for m in period if m.source))
        ranked.append((len(originals), len(outlets), len(known), story, originals, outlets))
    ranked.sort(key=lambda r: (-r[0], -r[1], -r[2], r[3].id))
    items: list[BriefItem] = []
    for count, _, _, story, originals, outlets in ranked[:limit]:
        central = most_central(originals)
        passages = passages_of(central.article_id)
        text = "\n".join(article_sentences(passages))
        chosen = key_sentences(text, 1, SENTENCE_WORDS) if text else []
        source = TimelineSource(
            len(items) + 1,
            central.article_id,
            central.title,
            central.published,
            central.source,
            passages[0].url if passages else "",
        )
        items.append(
            BriefItem(story, count, outlets, chosen[0] if chosen else central.title, source)
        )
    if not items:
        start, end = table.published_range()
        span = f" (the corpus runs from {start} to {end})" if start else ""
        raise AssistantError(
            f"No story (two articles or more on one event) in the {days} day(s) to "
            f"{as_of.isoformat()}{span}: choose another date or more days."
        )
    return Briefing(as_of, days, items)


def briefing_lines(briefing: Briefing) -> Iterator[str]:
    """The briefing as plain text: one line per story, then the sources."""
    yield f"Briefing for {briefing.period}: {len(briefing.items)} top stories"
    for n, item in enumerate(briefing.items, start=1):
        yield (
            f"{n}. {item.story.headline} — {item.sentence} [{item.source.number}] "
            f"({item.articles} articles, {len(item.outlets)} outlets; story {item.story.id})"
        )
    yield ""
    for item in briefing.items:
        yield item.source.cite()


def briefing_markdown(briefing: Briefing) -> str:
    """The briefing as Markdown, to save or share."""
    lines = [f"# Briefing for {briefing.period}", ""]
    for n, item in enumerate(briefing.items, start=1):
        lines.append(
            f"{n}. **{_md(item.story.headline)}** — {_md(item.sentence)} [{item.source.number}]"
            f" _({item.articles} articles, {len(item.outlets)} outlets: "
            f"{', '.join(item.outlets)})_"
        )
    lines += ["", "## Sources", ""]
    for item in briefing.items:
        s = item.source
        title = f"[{_md(s.title)}]({s.url})" if s.url else _md(s.title)
        lines.append(f"{s.number}. {title} — {s.source}, {s.published}")
    return "\n".join(lines) + "\n"


def _md(text: str) -> str:
    """Text that Markdown shows as written."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in text)
