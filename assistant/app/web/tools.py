"""Handlers of the Summarize, Fact-check and Articles tabs: plain generators of Markdown, testable
without a browser. All article text and model output is escaped (shown as text)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.answer.factcheck import (
    STANCE_READINGS,
    ClaimCheck,
    Claims,
    FactCheck,
    FactCheckChain,
    reading,
    verdict_certainty,
)
from assistant.answer.lengths import LENGTH_NAMES
from assistant.answer.summarize import SummarizeChain
from assistant.answer.summary_check import Omitted, Restated
from assistant.answer.weighing import certainty
from assistant.app.filters import parse_filters
from assistant.app.render import CHECK_NOTE, escape, format_sources
from assistant.errors import AssistantError, LoadError
from assistant.index.catalog import ArticleInfo
from assistant.index.store import ArticleStore
from assistant.ingest.sync import ingest_paths
from assistant.ingest.uploads import remove_article, save_uploads
from assistant.types import Answer, Length, Passage, Progress, Token

log = logging.getLogger(__name__)

VERDICT_BADGES = {
    "SUPPORTED": "✅ SUPPORTED",
    "REFUTED": "❌ REFUTED",
    "CONFLICTING": "⚖️ CONFLICTING",
    "NOT ENOUGH INFO": "❔ NOT ENOUGH INFO",
}


def article_label(article: ArticleInfo) -> str:
    meta = " · ".join(x for x in (article.published, article.source) if x)
    return f"{article.title} ({meta})" if meta else article.title


def _failure(exc: Exception) -> str:
    if isinstance(exc, AssistantError):
        return f"⚠️ {escape(str(exc))}"
    log.exception("Tool failed")
    return f"⚠️ Something went wrong ({type(exc).__name__}). See the log."


class SummaryHandler:
    def __init__(
        self,
        chain: Callable[[], SummarizeChain],
        articles: Callable[[], list[ArticleInfo]],
    ) -> None:
        self.chain = chain
        self.articles = articles

    def choices(self) -> list[tuple[str, str]]:
        """(label, article id) pairs for the searchable article list."""
        return [(article_label(a), a.id) for a in self.articles()]

    def summarize(
        self,
        article_id: str | None,
        topic: str,
        length: str,
        since: str = "",
        until: str = "",
    ) -> Iterator[str]:
        """A topic when one is typed, else the chosen article."""
        size: Length = length if length in LENGTH_NAMES else "brief"
        text = ""
        notes: list[str] = []  # sentences the check against the article changed
        try:
            if topic and topic.strip():
                events: Iterator[Any] = self.chain().topic(
                    topic.strip(), size, parse_filters(since, until, "")
                )
            elif article_id:
                events = self.chain().article(article_id, size)
            else:
                yield "Choose an article from the list, or type a topic."
                return
            for event in events:
                if isinstance(event, Progress):
                    yield f"_{escape(event.message)}_"
                elif isinstance(event, Token):
                    text += event.text
                    yield escape(text)
                elif isinstance(event, Omitted | Restated):
                    notes.append(f"{CHECK_NOTE} {escape(event.note)}")
                elif isinstance(event, Answer):
                    yield "\n\n".join(
                        x for x in (escape(event.text), *notes, _summary_sources(event)) if x
                    )
        except Exception as exc:  # the page shows a message, never a stack trace
            yield "\n\n".join(x for x in (escape(text), _failure(exc)) if x)


def _summary_sources(answer: Answer) -> str:
    if answer.cited or not answer.passages:
        return format_sources(answer)
    first = answer.passages[0]  # a whole-article summary: its source is the article
    meta = " · ".join(x for x in (first.published, first.source) if x)
    return (
        f"**Source**: {escape(first.title)} ({escape(meta)}), all {len(answer.passages)} passages"
    )


def _quote_block(quote: str, passage: Passage, how: str) -> str:
    meta = " · ".join(x for x in (passage.published or "date unknown", passage.source) if x)
    return (
        f"> “{escape(quote)}”\n>\n> — {escape(passage.title)} ({escape(meta)}) · {how} · "
        "✓ verified quote"
    )


_SIDES = (
    ("supports", False, "Supported by"),
    ("refutes", False, "Contradicted by"),
    ("supports", True, "Supporting, but outweighed by the contradiction"),
    ("refutes", True, "Contradicting, but outweighed by the support"),
)


def _evidence_blocks(check: ClaimCheck) -> list[str]:
    """The verified quotes that took a side, grouped by side: a conflicting claim shows
    which passages support it and which contradict it."""
    lines = []
    shown = [e for e in check.evidence if e.verified]
    for stance, outweighed, heading in _SIDES:
        group = [e for e in shown if e.stance == stance and e.outweighed == outweighed]
        if group:
            lines.append(f"{heading}:")
            lines += [
                _quote_block(
                    e.quote,
                    e.passage,
                    f"judge: {certainty(e.strength)} · {STANCE_READINGS[e.stance]}",
                )
                for e in group
            ]
    return lines


def _why_not_more(check: ClaimCheck) -> list[str]:
    """When nothing settles the claim: the passage that came closest, and why it did not."""
    lines = ["_No passage in the articles settles this claim._"]
    near = check.closest
    if near is None:
        return lines
    why = f"closest, but {near.note}" if near.note else f"closest: {reading(near)}"
    if near.verified:
        lines.append(_quote_block(near.excerpt, near.passage, escape(why)))
    else:
        lines.append(f"{escape(near.passage.title)}: {escape(why)}.")
    return lines


def format_claim(check: ClaimCheck) -> str:
    lines = [
        f"**{VERDICT_BADGES[check.verdict]}** — {escape(check.claim)}",
        f"_How sure: {escape(verdict_certainty(check))}._",
    ]
    lines += _evidence_blocks(check) if check.evidence else _why_not_more(check)
    if check.judgements:
        judged = {j.passage.chunk_id for j in check.judgements}
        readings = [
            f"- Passage {n} ({escape(j.passage.title)}, "
            f"{escape(j.passage.published or 'no date')}): {escape(reading(j))}"
            for n, j in enumerate(check.judgements, start=1)
        ]
        readings += [
            f"- {escape(p.title)} ({escape(p.published or 'no date')}): not judged, its "
            "sentences hold fewer of the claim's words than those judged"
            for p in check.passages
            if p.chunk_id not in judged
        ]
        lines.append("How the passages were read:\n\n" + "\n".join(readings))
    elif check.explanation:
        lines.append(f"_{escape(check.explanation)}_")
    return "\n\n".join(lines)


class FactCheckHandler:
    def __init__(self, chain: Callable[[], FactCheckChain]) -> None:
        self.chain = chain

    def check(self, text: str, as_of: str = "") -> Iterator[str]:
        if not text or not text.strip():
            yield "Type a claim, or a paragraph holding several."
            return
        done: list[str] = []
        try:
            filters = parse_filters("", "", "", as_of)
            for event in self.chain().check(text.strip(), filters):
                if isinstance(event, Claims):
                    listed = "\n".join(f"{i}. {escape(c)}" for i, c in enumerate(event.claims, 1))
                    yield f"Checking {len(event.claims)} claim(s):\n\n{listed}"
                elif isinstance(event, ClaimCheck):
                    done.append(format_claim(event))
                    yield "\n\n---\n\n".join(done) + "\n\n_Checking…_"
                elif isinstance(event, FactCheck):
                    head = f"### Overall: {VERDICT_BADGES[event.overall]}"
                    yield "\n\n---\n\n".join([head, *done])
        except Exception as exc:
            yield "\n\n---\n\n".join([*done, _failure(exc)])


class CorpusHandler:
    """The Articles tab: add files (progress, what was added and what was skipped and why),
    cancel an ingest, remove an article.

    Each browser session has its own cancel: ``session`` is Gradio's session hash, so one
    reader's Cancel stops that reader's upload and no one else's."""

    def __init__(self, store: ArticleStore, corpus_dir: Path, max_file_mb: float) -> None:
        self.store = store
        self.corpus_dir = corpus_dir
        self.max_file_mb = max_file_mb
        self._cancels: dict[str, threading.Event] = {}
        self._cancels_lock = threading.Lock()

    def choices(self) -> list[tuple[str, str]]:
        return [(article_label(a), a.id) for a in self.store.list_articles()]

    def add(self, files: list[Any] | None, session: str = "") -> Iterator[str]:
        paths = [Path(getattr(f, "name", f)) for f in files or []]
        if not paths:
            yield "Drop article files here first (text, Markdown, JSON, HTML, PDF, feeds)."
            return
        saved, problems = save_uploads(
            paths, self.corpus_dir, max_bytes=int(self.max_file_mb * 1_000_000)
        )
        cancel = threading.Event()
        with self._cancels_lock:
            self._cancels[session] = cancel
        try:
            yield from self._ingest(saved, problems, cancel)
        finally:
            with self._cancels_lock:
                if self._cancels.get(session) is cancel:
                    del self._cancels[session]

    def _ingest(
        self, saved: list[Path], problems: list[LoadError], cancel: threading.Event
    ) -> Iterator[str]:
        progress: dict[str, int] = {"done": 0, "total": 0}
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["report"] = ingest_paths(
                    self.store,
                    saved,
                    self.max_file_mb,
                    lambda done, total: progress.update(done=done, total=total),
                    cancel,
                )
            except Exception as exc:  # reported below, in the page
                outcome["error"] = exc

        worker = threading.Thread(target=work, name="upload-ingest", daemon=True)
        started = time.monotonic()
        worker.start()
        while worker.is_alive():
            worker.join(0.5)
            done, total = progress["done"], progress["total"]
            rate = done / max(time.monotonic() - started, 1e-6)
            yield f"Saved {len(saved)} file(s); embedding {done}/{total} chunks ({rate:.1f}/s)…"
        if "error" in outcome:
            yield _failure(outcome["error"])
            return
        report = outcome["report"]
        lines = [f"**{escape(report.summary())}**"]
        skipped = [*problems, *report.problems]
        if skipped:
            lines.append("Skipped:")
            lines += [f"- {escape(str(p))}" for p in skipped]
        yield "\n\n".join(lines)

    def cancel(self, session: str = "") -> str:
        with self._cancels_lock:
            running = self._cancels.get(session)
        if running is None:
            return "Nothing is being added from this page."
        running.set()
        return "Cancelling: what is not embedded yet is finished by the next ingest."

    def remove(self, article_id: str | None) -> str:
        if not article_id:
            return "Choose an article to remove."
        if remove_article(self.store, article_id, self.corpus_dir):
            return f"Removed the article {escape(article_id)} (and its uploaded file)."
        return f"No article {escape(article_id)} is stored."
