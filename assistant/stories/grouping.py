"""Grouping articles into stories as they arrive, one article at a time.

A new article joins the story of the most similar article published within a few days of
it, when their leads are close in meaning (embedding cosine) or fairly close and about the
same names; otherwise it starts a story of its own, which a later article may join. A
syndicated copy (linked at ingest, :mod:`assistant.ingest.duplicates`) joins the story of
the article it repeats and is not counted as another article. Only stories of two articles
or more are shown.

Linking to the best single article rather than to a story's average lets a story develop
(day 1 the attack, day 3 the funeral) while the day window keeps it from running on for
months through a chain of similar stories.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from assistant.stories.names import article_names
from assistant.stories.table import Member, Story, StoryTable
from assistant.text import day_number

# Days either side of an article in which the articles it may join were published.
WINDOW_DAYS = 3
# Leads this close are one story whatever their names.
SAME_STORY_SIMILARITY = 0.80
# Leads this close are one story when they also share this many names.
NAMED_STORY_SIMILARITY = 0.62
SHARED_NAMES = 2
# Leads this close are the same text (a copy, or boilerplate).
BOILERPLATE_SIMILARITY = 0.97
# Two articles make a story; one is an article.
MIN_STORY_ARTICLES = 2


@dataclass(frozen=True)
class ArticleLead:
    """What grouping needs of an article: its lead (first chunk) and that chunk's vector."""

    article_id: str
    title: str
    published: date | None
    source: str
    lead: str
    vector: list[float] | np.ndarray | None
    duplicate_of: str = ""


def story_id_for(article_id: str) -> str:
    """A story is named after the article that started it: short, stable, typeable."""
    return "s" + hashlib.sha1(article_id.encode()).hexdigest()[:8]


def _unit(vector: list[float] | np.ndarray | None) -> np.ndarray | None:
    if vector is None:
        return None
    array = np.asarray(vector, dtype=np.float32)
    norm = float(np.linalg.norm(array))
    return array / norm if norm > 0 else None


def _day_from(value: int) -> date:
    return date(value // 10000, value // 100 % 100, value % 100)


class StoryGrouper:
    def __init__(self, table: StoryTable) -> None:
        self.table = table

    def add(self, article: ArticleLead) -> str:
        """Record the article; return its story's id ("" when it cannot be grouped: no
        publication date, or no text)."""
        before = self.table.member(article.article_id)
        vector = _unit(article.vector)
        member = Member(
            article_id=article.article_id,
            story_id="",
            day=day_number(article.published) if article.published else None,
            published=article.published.isoformat() if article.published else "",
            source=article.source,
            title=article.title,
            copy_of="",
            names=frozenset(article_names(article.title, article.lead)),
            vector=vector,
        )
        if member.day is not None and vector is not None:
            member = self._place(member, article.duplicate_of)
        self.table.put_member(member)
        for story in {member.story_id, before.story_id if before else ""} - {""}:
            self.refresh(story)
        return member.story_id

    def _place(self, member: Member, duplicate_of: str) -> Member:
        assert member.day is not None and member.vector is not None
        day = _day_from(member.day)
        window = timedelta(days=WINDOW_DAYS)
        first, last = day_number(day - window), day_number(day + window)
        original = self.table.member(duplicate_of) if duplicate_of else None
        if (
            original is not None
            and original.story_id
            and original.day is not None
            and first <= original.day <= last
            and not _boilerplate(member, original)
        ):
            root = original.copy_of or original.article_id
            return replace(member, story_id=original.story_id, copy_of=root)
        candidates = [
            c
            for c in self.table.near(first, last)
            if c.article_id != member.article_id and c.vector is not None
        ]
        matched = self._matches(member, candidates)
        if not matched:
            return replace(member, story_id=story_id_for(member.article_id))
        # An article that belongs with two stories shows they are one: the older absorbs
        # the others (a story reported first under two angles, joined by a later report).
        keep = min(matched, key=lambda story: (matched[story], story))
        for other in matched:
            if other != keep:
                self.table.move_story(other, keep)
        return replace(member, story_id=keep)

    @staticmethod
    def _matches(member: Member, candidates: list[Member]) -> dict[str, str]:
        """The stories the article belongs with, each with its earliest matching date."""
        if not candidates:
            return {}
        assert member.vector is not None
        matrix = np.vstack([c.vector for c in candidates if c.vector is not None])
        similarity = matrix @ member.vector
        found: dict[str, str] = {}
        for candidate, score in zip(candidates, similarity.tolist(), strict=True):
            names = len(member.names & candidate.names)
            if _boilerplate(member, candidate, score):
                continue
            if score >= SAME_STORY_SIMILARITY or (
                score >= NAMED_STORY_SIMILARITY and names >= SHARED_NAMES
            ):
                earliest = min(found.get(candidate.story_id, "9"), candidate.published)
                found[candidate.story_id] = earliest
        return found

    def remove(self, article_ids: list[str]) -> None:
        for story in self.table.delete_members(article_ids):
            self.refresh(story)

    def refresh(self, story_id: str) -> None:
        """The story's summary row, from its articles as they now are."""
        members = self.table.story_members(story_id)
        if not members:
            self.table.delete_story(story_id)
            return
        originals = [m for m in members if not m.copy_of]
        headliner = most_central(originals or members)
        outlets = Counter(m.source for m in members if m.source)
        days = [m.day for m in members if m.day is not None]
        self.table.put_story(
            Story(
                id=story_id,
                headline=headliner.title,
                headline_article=headliner.article_id,
                first_published=min(m.published for m in members),
                last_published=max(m.published for m in members),
                articles=len(originals),
                sources=tuple(s for s, _ in outlets.most_common()),
            ),
            min(days),
            max(days),
        )


def _boilerplate(member: Member, other: Member, score: float | None = None) -> bool:
    """The same text under two headlines of one outlet is the outlet's page furniture (an
    ad survey, a cookie notice) read as the article, not one story reported twice."""
    if member.source != other.source or member.title == other.title:
        return False
    if score is None:
        return True  # linked as a copy: the texts are nearly the same
    return score >= BOILERPLATE_SIMILARITY


def most_central(members: list[Member]) -> Member:
    """The article closest in meaning to all the others: the story's best headline."""
    with_vectors = [m for m in members if m.vector is not None]
    if len(with_vectors) <= 2:
        return members[0]
    matrix = np.vstack([m.vector for m in with_vectors if m.vector is not None])
    centrality = (matrix @ matrix.T).sum(axis=1)
    return with_vectors[int(np.argmax(centrality))]
