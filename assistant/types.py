"""The values that flow through the assistant, from file to answer.

A file becomes :class:`Article` s, an article :class:`Chunk` s, the index gives back
:class:`Passage` s, and a chain answers with the events below. Kept apart from the code that
makes them, so a stage can name what it receives without importing the stage before it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from assistant.text import day_number


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    body: str
    published: date | None = None
    source: str = ""
    url: str = ""
    author: str = ""
    # The file the article came from; a changed or removed file updates its articles.
    origin: str = ""

    @property
    def content_hash(self) -> str:
        """Changes whenever anything stored about the article changes."""
        parts = [self.title, self.body, self.published_iso, self.source, self.url, self.author]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]

    @property
    def published_iso(self) -> str:
        return self.published.isoformat() if self.published else ""


@dataclass(frozen=True)
class Chunk:
    id: str
    article_id: str
    index: int
    text: str


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with what a citation needs."""

    chunk_id: str
    article_id: str
    index: int
    text: str
    title: str
    published: str
    source: str
    url: str
    score: float = 0.0


@dataclass(frozen=True)
class Filters:
    """Hard limits on what may be retrieved; ``as_of`` also sets the reference date for
    "this week" and the like, and nothing published after it is used."""

    since: date | None = None
    until: date | None = None
    source: str | None = None
    as_of: date | None = None
    # Only these articles (a story's, say): a follow-up question stays on them.
    article_ids: tuple[str, ...] | None = None

    @property
    def last_day(self) -> date | None:
        ends = [d for d in (self.until, self.as_of) if d is not None]
        return min(ends) if ends else None

    def where(self) -> dict[str, Any] | None:
        clauses: list[dict[str, Any]] = []
        if self.since:
            clauses.append({"day": {"$gte": day_number(self.since)}})
        if self.last_day:
            clauses.append({"day": {"$lte": day_number(self.last_day)}})
        if self.source:
            clauses.append({"source": self.source})
        if self.article_ids is not None:
            clauses.append({"article_id": {"$in": list(self.article_ids)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


Length = Literal["brief", "paragraph", "bullets", "key"]

Verdict = Literal["SUPPORTED", "REFUTED", "CONFLICTING", "NOT ENOUGH INFO"]
# A one-fact answer checked by a second, short reading: the readings agreed; they differed
# and the answer was withheld; or the short reading was shown instead, because a passage
# sentence about the question names it (the full answer was empty or named something else).
SecondReading = Literal["agreed", "withheld", "short"]

Turn = tuple[str, str]  # (question, answer)


@dataclass(frozen=True)
class Retrieved:
    """Emitted first: what the answer will be based on."""

    question: str  # the standalone question that was searched for
    passages: list[Passage]  # numbered from 1, as the answer cites them
    left_out: int  # passages retrieved but not packed, for lack of room
    # The answer is checked whole once written and may be withdrawn: a client that cannot
    # take back what it was sent waits for the Answer.
    checked_whole: bool = False


@dataclass(frozen=True)
class Token:
    text: str


NOT_FOUND = "(not found in the sources)"
_TRAILING_PUNCTUATION = re.compile(r"\s*([.!?:;,]*)\s*$")


@dataclass(frozen=True)
class Support:
    passage: int  # 1-based number into the passages given
    quote: str  # the supporting sentence(s), word for word from the passage
    coverage: float  # share of the sentence's content words in the quote


@dataclass(frozen=True)
class CitedSentence:
    text: str  # the sentence as written, without its citation marks
    written: tuple[int, ...]  # the numbers the model put on it
    sources: tuple[Support, ...]  # the passages cited for it once checked
    needs_source: bool = True  # False for "the articles do not say" and the like
    new_line: bool = False  # the model started it on a line of its own

    @property
    def cited(self) -> tuple[int, ...]:
        return tuple(s.passage for s in self.sources)

    @property
    def unsupported(self) -> bool:
        return self.needs_source and not self.sources


@dataclass(frozen=True)
class Attribution:
    sentences: list[CitedSentence]

    @property
    def cited(self) -> list[int]:
        """Passage numbers cited, in order of first citation."""
        seen: list[int] = []
        for sentence in self.sentences:
            seen += [n for n in sentence.cited if n not in seen]
        return seen

    def quotes(self, number: int) -> list[str]:
        found: list[str] = []
        for sentence in self.sentences:
            found += [s.quote for s in sentence.sources if s.passage == number]
        return list(dict.fromkeys(found))

    def render(
        self, escape: Callable[[str], str] = lambda text: text, marker: str = NOT_FOUND
    ) -> str:
        """The answer with each citation at the end of its sentence, before the full stop,
        and the sentences no passage supports marked."""
        out = ""
        for sentence in self.sentences:
            body, stop = _split_stop(sentence.text)
            if sentence.sources:
                body = f"{escape(body)} " + "".join(f"[{n}]" for n in sentence.cited)
            elif sentence.unsupported:
                body = f"{escape(body)} {marker}"
            else:
                body = escape(body)
            if out:
                out += "\n" if sentence.new_line else " "
            out += body + stop
        return out


def _split_stop(sentence: str) -> tuple[str, str]:
    match = _TRAILING_PUNCTUATION.search(sentence)
    assert match is not None  # the pattern matches the empty end of any string
    return sentence[: match.start()], match.group(1)


@dataclass(frozen=True)
class Answer:
    """Emitted last."""

    text: str  # as shown: for questions, citations checked against the passages
    passages: list[Passage]
    cited: list[int] = field(default_factory=list)  # 1-based numbers into passages
    attribution: Attribution | None = None  # each sentence's supporting passages
    written: str = ""  # the model's own words, before the citations were checked
    by_model: bool = True  # False when the passages settled it without the model
    # What the second, short reading of the passages made of the answer (None: not checked).
    second_reading: SecondReading | None = None

    @property
    def cited_passages(self) -> list[Passage]:
        return [self.passages[n - 1] for n in self.cited]


@dataclass(frozen=True)
class Progress:
    """A step of a long task, for the person waiting (a part of a long article read)."""

    message: str


Event = Retrieved | Token | Answer | Progress
