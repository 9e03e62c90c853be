"""The assistant's three services as API replies: the same handlers and chains the page
uses, their events turned into text to stream and the citations behind it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from assistant.answer.factcheck import ClaimCheck, FactCheck
from assistant.app.api.live_citations import CheckedStream
from assistant.app.api.schema import ChatRequest
from assistant.app.render import supporting_quotes
from assistant.app.web.chat import ChatHandler
from assistant.app.web.tools import FactCheckHandler, SummaryHandler
from assistant.types import Answer, Passage, Retrieved, Token

# As many answers at once as the page's queue allows; the rest wait their turn.
CONCURRENT_ANSWERS = 4


@dataclass(frozen=True)
class Delta:
    text: str


@dataclass(frozen=True)
class Done:
    text: str
    citations: list[dict[str, Any]] = field(default_factory=list)


Reply = Iterator[Delta | Done]


def citation(number: int, passage: Passage, quote: str) -> dict[str, Any]:
    return {
        "number": number,
        "title": passage.title,
        "date": passage.published,
        "source": passage.source,
        "url": passage.url,
        "quote": quote,
    }


def citations_of(answer: Answer) -> list[dict[str, Any]]:
    """Each passage the answer cites, under the number it is cited by."""
    return [
        citation(n, answer.passages[n - 1], " … ".join(supporting_quotes(answer, n)))
        for n in answer.cited
    ]


class NewsroomApi:
    def __init__(
        self,
        chat: ChatHandler,
        summaries: SummaryHandler | None = None,
        factchecks: FactCheckHandler | None = None,
    ) -> None:
        self.chat = chat
        self.summaries = summaries
        self.factchecks = factchecks
        self._slots = threading.BoundedSemaphore(CONCURRENT_ANSWERS)

    def reply(self, request: ChatRequest) -> Reply:
        """The reply's pieces, produced while holding one of the answering slots."""
        with self._slots:
            if request.model == "newsroom-summarize" and self.summaries is not None:
                yield from self._summary(request)
            elif request.model == "newsroom-factcheck" and self.factchecks is not None:
                yield from self._factcheck(request)
            else:
                yield from self._answer(request)

    def _answer(self, request: ChatRequest) -> Reply:
        checked = CheckedStream()
        # A token is checked once the next one has come: only the model's words come in
        # many tokens, and an answer the chain wrote itself (an option picked from the
        # passages, the notice of an empty answer) comes as one token before the answer,
        # whose text then stands whole.
        held: Token | None = None
        # An answer checked whole after it is written (a one-fact question's second
        # reading) may be withdrawn, so none of it goes out before the check.
        whole = False
        for event in self.chat.events(request.question, request.history(), request.filters()):
            if isinstance(event, Retrieved):
                checked.passages, whole = event.passages, event.checked_whole
            elif isinstance(event, Token):
                if not whole and held is not None and (ready := checked.add(held.text)):
                    yield Delta(ready)
                held = event
            elif isinstance(event, Answer):
                if rest := checked.finish(event.text):
                    yield Delta(rest)
                yield Done(event.text, citations_of(event))

    def _summary(self, request: ChatRequest) -> Reply:
        assert self.summaries is not None
        filters = request.filters()
        written = False
        for event in self.summaries.chain().topic(request.question, "brief", filters):
            if isinstance(event, Token):
                written = True
                yield Delta(event.text)
            elif isinstance(event, Answer):
                if not written:
                    yield Delta(event.text)
                yield Done(event.text, citations_of(event))

    def _factcheck(self, request: ChatRequest) -> Reply:
        assert self.factchecks is not None
        numbers: dict[str, int] = {}  # chunk id -> citation number, in order of first use
        cited: list[dict[str, Any]] = []
        parts: list[str] = []
        for event in self.factchecks.chain().check(request.question, request.filters()):
            if isinstance(event, ClaimCheck):
                lines = [f"{event.verdict}: {event.claim}"]
                for evidence in (e for e in event.evidence if e.verified):
                    passage = evidence.passage
                    if passage.chunk_id not in numbers:
                        numbers[passage.chunk_id] = len(numbers) + 1
                        cited.append(citation(len(numbers), passage, evidence.quote))
                    how = "supports" if evidence.stance == "supports" else "contradicts"
                    lines.append(f"- {how}: “{evidence.quote}” [{numbers[passage.chunk_id]}]")
                if not event.evidence and event.explanation:
                    lines.append(event.explanation)
                part = "\n".join(lines)
                yield Delta(("\n\n" if parts else "") + part)
                parts.append(part)
            elif isinstance(event, FactCheck):
                if len(event.claims) > 1:
                    overall = f"Overall: {event.overall}"
                    yield Delta("\n\n" + overall)
                    parts.append(overall)
                yield Done("\n\n".join(parts), cited)
