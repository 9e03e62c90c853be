"""A timeline of a story, or of any topic: the dated events its articles report, in the
order they happened, each one sentence of an article, word for word, with its citation.

Extractive on purpose: every line is the article's own sentence, so a timeline cannot state
what no article says. An event is the article's first sentence (what news puts first) and
each sentence that gives its own date ("on Monday", "on 5 March"); it is dated by that
date, resolved against the publication date, or else by the publication date. The same
event told by two articles is listed once, from the first to report it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from assistant.answer.key_sentences import key_sentences
from assistant.answer.summary_facts import content_words
from assistant.errors import AssistantError
from assistant.index.keywords import query_terms
from assistant.stories.event_dates import event_date
from assistant.stories.lookup import OpenStory
from assistant.text import sentences
from assistant.types import Filters, Passage

# Dated sentences taken from one article beside its first one: the main turns, not all.
MAX_DATED_PER_ARTICLE = 3
# Articles a topic's timeline draws on.
MAX_TOPIC_ARTICLES = 8
# A sentence sharing this share of its content words with one already listed repeats it.
REPEATS = 0.7
MIN_WORDS = 6
_ENDS_LIKE_A_SENTENCE = re.compile(r"[.!?][\"”’')\]]*$")

PassagesOf = Callable[[str], list[Passage]]


@dataclass(frozen=True)
class TimelineSource:
    number: int
    article_id: str
    title: str
    published: str
    source: str
    url: str

    def cite(self) -> str:
        """The source line a citation number points to."""
        where = ", ".join(x for x in (self.published, self.source, self.url) if x)
        return f"[{self.number}] {self.title} ({where})"


@dataclass(frozen=True)
class TimelineEvent:
    day: date  # when it happened, as the sentence tells
    published: date  # when its article was published
    sentence: str
    source: int  # the number of its TimelineSource
    phrase: str = ""  # the words the date was read from


@dataclass(frozen=True)
class Timeline:
    heading: str
    events: list[TimelineEvent]
    sources: list[TimelineSource]
    notes: list[str] = field(default_factory=list)


def article_sentences(passages: Sequence[Passage]) -> list[str]:
    """The article's sentences in reading order, each once (chunks overlap)."""
    seen: dict[str, None] = {}
    for passage in sorted(passages, key=lambda p: p.index):
        for sentence in sentences(passage.text):
            seen.setdefault(sentence, None)
    return list(seen)


def _is_prose(sentence: str) -> bool:
    return len(sentence.split()) >= MIN_WORDS and bool(_ENDS_LIKE_A_SENTENCE.search(sentence))


def _events(
    lines: list[str], published: date, number: int, wanted: Callable[[str], bool]
) -> list[TimelineEvent]:
    prose = [s for s in lines if _is_prose(s)]
    # The article's main event: its most salient sentence (the first is often a caption).
    main = key_sentences("\n".join(prose), 1, 60)
    chosen: list[TimelineEvent] = []
    for sentence in prose:
        dated = event_date(sentence, published)
        first = sentence in main
        if not first and (dated is None or not wanted(sentence)):
            continue
        if len(chosen) > MAX_DATED_PER_ARTICLE:
            break
        day = dated.day if dated else published
        chosen.append(
            TimelineEvent(day, published, sentence, number, dated.phrase if dated else "")
        )
    return chosen


def _repeats(sentence: str, listed: list[set[str]]) -> bool:
    words = set(content_words(sentence))
    return bool(words) and any(len(words & other) >= REPEATS * len(words) for other in listed)


def build_timeline(
    heading: str,
    articles: Sequence[tuple[TimelineSource, date, list[str]]],
    wanted: Callable[[str], bool] = lambda sentence: True,
) -> Timeline:
    """Events of the articles (source, publication date, sentences), in order."""
    candidates: list[TimelineEvent] = []
    for source, published, lines in articles:
        candidates += _events(lines, published, source.number, wanted)
    candidates.sort(key=lambda e: (e.published, e.source))  # the first report wins
    events: list[TimelineEvent] = []
    listed: list[set[str]] = []
    for event in candidates:
        if not _repeats(event.sentence, listed):
            events.append(event)
            listed.append(set(content_words(event.sentence)))
    events.sort(key=lambda e: (e.day, e.published, e.source))
    return Timeline(heading, events, [s for s, _, _ in articles])


def story_timeline(opened: OpenStory, passages_of: PassagesOf) -> Timeline:
    """The timeline of a story, from its articles (syndicated copies left out)."""
    articles = []
    for n, member in enumerate(opened.originals, start=1):
        passages = passages_of(member.article_id)
        url = passages[0].url if passages else ""
        source = TimelineSource(
            n, member.article_id, member.title, member.published, member.source, url
        )
        articles.append((source, date.fromisoformat(member.published), article_sentences(passages)))
    return build_timeline(opened.story.headline, articles)


def topic_timeline(
    topic: str,
    retrieve: Callable[[str, Filters | None], list[Passage]],
    passages_of: PassagesOf,
    min_relevance: float,
    filters: Filters | None = None,
) -> Timeline:
    """The timeline of what the corpus says about a topic: the articles retrieval finds for
    it, and of their dated sentences those that use the topic's words."""
    terms = set(query_terms(topic))
    if not terms:
        raise AssistantError("Type a topic: a few words naming an event, a person or a place.")
    found = [p for p in retrieve(topic, filters) if p.score >= min_relevance]
    article_ids = list(dict.fromkeys(p.article_id for p in found))[:MAX_TOPIC_ARTICLES]
    by_id = {p.article_id: p for p in found}
    if not article_ids:
        raise AssistantError(
            f"Nothing in the corpus is about {topic!r}: try other words, a wider date range, "
            "or add articles."
        )
    articles: list[tuple[TimelineSource, date, list[str]]] = []
    undated = 0
    for article_id in article_ids:
        first = by_id[article_id]
        if not first.published:
            undated += 1
            continue
        source = TimelineSource(
            len(articles) + 1, article_id, first.title, first.published, first.source, first.url
        )
        lines = article_sentences(passages_of(article_id))
        articles.append((source, date.fromisoformat(first.published), lines))
    if not articles:
        raise AssistantError(
            f"The articles about {topic!r} have no publication date, so their events cannot "
            "be put in order: give them a date (a `date` or `published` field) and ingest "
            "them again."
        )

    def on_topic(sentence: str) -> bool:
        return bool(terms & set(query_terms(sentence)))

    timeline = build_timeline(topic, articles, on_topic)
    if undated:
        timeline.notes.append(f"{undated} article(s) without a publication date left out.")
    return timeline


def timeline_lines(timeline: Timeline) -> Iterator[str]:
    """One line per event, then the sources."""
    for event in timeline.events:
        when = event.day.isoformat()
        if event.day != event.published:
            when += f" (reported {event.published.isoformat()})"
        yield f"{when}  {event.sentence} [{event.source}]"
    if timeline.sources:
        yield ""
    for source in timeline.sources:
        yield source.cite()
    yield from timeline.notes
