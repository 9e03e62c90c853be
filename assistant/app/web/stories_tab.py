"""The Stories tab: the latest stories (filtered by date and outlet), one story's articles,
its timeline, its coverage across outlets, a briefing to read or save as Markdown, and a
button that takes a story to the Ask tab, whose questions then search only its articles.
The handler's methods are plain functions of their inputs returning Markdown, testable
without a browser; all article text is escaped (shown as text)."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.app.filters import ALL_SOURCES, parse_filters
from assistant.app.render import escape
from assistant.errors import AssistantError
from assistant.index.store import ArticleStore
from assistant.stories.briefing import briefing_markdown, build_briefing
from assistant.stories.coverage import (
    Coverage,
    JudgePassage,
    OutletSentence,
    coverage_steps,
    require_outlets,
)
from assistant.stories.lookup import (
    latest_stories,
    no_stories_message,
    open_story,
    scoped,
    story_articles,
)
from assistant.stories.table import Story
from assistant.stories.timeline import Timeline, story_timeline, timeline_lines, topic_timeline
from assistant.types import Filters, Passage

log = logging.getLogger(__name__)

Retrieve = Callable[[str, Filters | None], list[Passage]]


def _failure(exc: Exception) -> str:
    if isinstance(exc, AssistantError):
        return f"⚠️ {escape(str(exc))}"
    log.exception("Stories tab failed")
    return f"⚠️ Something went wrong ({type(exc).__name__}). See the log."


def story_label(story: Story) -> str:
    return f"{story.headline} ({story.span} · {story.articles} articles)"


class StoriesHandler:
    def __init__(
        self,
        store: ArticleStore,
        retrieve: Retrieve,
        min_relevance: float,
        judge: Callable[[], JudgePassage] | None = None,
    ) -> None:
        self.store = store
        self.retrieve = retrieve
        self.min_relevance = min_relevance
        self.judge = judge  # the fact-check judge for comparing outlets, when a model runs

    @property
    def table(self) -> Any:
        return self.store.stories.table

    def list(self, since: str, until: str, source: str) -> tuple[Any, str]:
        """The story picker's choices and the list as Markdown."""
        try:
            filters = parse_filters(since, until, source)
            found = latest_stories(self.table, filters)
        except Exception as exc:  # every failure becomes a message
            return gr.update(choices=[], value=None), _failure(exc)
        if not found:
            message = escape(no_stories_message(self.table, filters))
            return gr.update(choices=[], value=None), message
        rows = ["| story | dates | articles | outlets |", "| --- | --- | --- | --- |"]
        rows += [
            f"| {escape(s.headline)} | {s.span} | {s.articles} | {escape(', '.join(s.sources))} |"
            for s in found
        ]
        choices = [(story_label(s), s.id) for s in found]
        return gr.update(choices=choices, value=None), "\n".join(rows)

    def open(self, story_id: str | None) -> str:
        if not story_id:
            return "Choose a story."
        try:
            opened = open_story(self.table, story_id)
        except Exception as exc:
            return _failure(exc)
        story = opened.story
        lines = [
            f"### {escape(story.headline)}",
            f"{story.span} · {story.articles} articles · {escape(', '.join(story.sources))}",
            "",
        ]
        for m in opened.members:
            copy = " (syndicated copy)" if m.copy_of else ""
            lines.append(f"- {m.published} · {escape(m.source)} · {escape(m.title)}{copy}")
        return "\n".join(lines)

    def timeline(self, story_id: str | None, topic: str = "") -> str:
        """The chosen story's timeline, or a typed topic's."""
        try:
            if topic.strip():
                built = topic_timeline(
                    topic, self.retrieve, self.store.article_passages, self.min_relevance
                )
            elif story_id:
                built = story_timeline(
                    open_story(self.table, story_id), self.store.article_passages
                )
            else:
                return "Choose a story or type a topic."
        except Exception as exc:
            return _failure(exc)
        return _timeline_markdown(built)

    def coverage(self, story_id: str | None) -> Iterator[str]:
        """The chosen story's coverage across outlets; the judge takes a few seconds."""
        if not story_id:
            yield "Choose a story."
            return
        if self.judge is None:
            yield "⚠️ Coverage needs the chat model, and none is running."
            return
        try:
            opened = open_story(self.table, story_id)
            require_outlets(opened)
            yield "_Reading the outlets' articles…_"
            for step in coverage_steps(opened, self.store.article_passages, self.judge()):
                yield coverage_markdown(step)
        except Exception as exc:
            yield _failure(exc)

    def scope(self, story_id: str, filters: Filters) -> tuple[str, Filters]:
        """For the Ask tab: the story's headline, and the filters kept to its articles."""
        opened = story_articles(self.table, story_id)
        return opened.story.headline, scoped(filters, opened)

    def ask(self, story_id: str | None) -> tuple[str, str]:
        """The story to put in the Ask tab's Story field, and what the reader is told."""
        if not story_id:
            return "", "Choose a story first."
        try:
            opened = open_story(self.table, story_id)
        except Exception as exc:
            return "", _failure(exc)
        return story_id, (
            f"Questions in the **Ask** tab now search only the {opened.story.articles} "
            f"articles of “{escape(opened.story.headline)}”, follow-ups included. Clear its "
            "Story field to search the whole corpus again."
        )

    def brief(self, as_of: str, days: float | None) -> tuple[str, str | None]:
        """The briefing as Markdown, and a Markdown file of it to download."""
        try:
            day = parse_filters("", "", "", as_of).as_of or date.today()
            built = build_briefing(self.table, self.store.article_passages, day, int(days or 7))
        except Exception as exc:
            return _failure(exc), None
        text = briefing_markdown(built)
        folder = Path(tempfile.mkdtemp(prefix="briefing-"))
        path = folder / f"briefing-{day.isoformat()}.md"
        path.write_text(text, encoding="utf-8")
        return text, str(path)


def _timeline_markdown(built: Timeline) -> str:
    if not built.events:
        return "The articles found give no event in a full sentence."
    return f"### Timeline: {escape(built.heading)}\n\n" + "\n\n".join(
        escape(line) for line in timeline_lines(built) if line
    )


def _quote(sentence: OutletSentence) -> str:
    return f"{escape(sentence.outlet)} [{sentence.source.number}]: “{escape(sentence.text)}”"


def coverage_markdown(coverage: Coverage) -> str:
    lines = [
        f"### Coverage: {escape(coverage.headline)}",
        f"{coverage.span} · {len(coverage.outlets)} outlets",
        "",
        "#### What each outlet reports",
    ]
    for report in coverage.outlets:
        lines.append(f"**{escape(report.outlet)}** ({report.articles} article(s))")
        lines += [f"- {escape(s.text)} [{s.source.number}]" for s in report.sentences]
        lines.append("")
    lines.append(f"#### Where they agree ({len(coverage.agreed)})")
    for fact in coverage.agreed:
        lines.append(f"- **AGREE** {_quote(fact.pair.first)} — {_quote(fact.pair.second)}")
    lines += ["", f"#### Where they disagree ({len(coverage.disagreed)})"]
    if not coverage.disagreed and not coverage.pending:
        lines.append("No conflict found among the sentences compared.")
    for fact in coverage.disagreed:
        figures = "; ".join(f"{kind}: {a} vs {b}" for kind, a, b in fact.pair.differ)
        lines.append(f"- **CONFLICTING** ({escape(figures)})")
        lines.append(f"    - {_quote(fact.pair.first)}")
        lines.append(f"    - {_quote(fact.pair.second)}")
    if coverage.pending:
        lines.append(
            f"_Comparing the outlets' sentences with the fact-check judge: {coverage.pending} "
            "pair(s) to go…_"
        )
    lines += ["", *(escape(note) for note in coverage.notes), ""]
    lines += [f"{escape(source.cite())}  " for source in coverage.sources]
    return "\n".join(lines)


# Takes the reader to the Ask tab (Gradio selects tabs only inside an explicit gr.Tabs).
_OPEN_ASK_TAB = """() => {
  const tab = [...document.querySelectorAll('button[role="tab"]')]
    .find((b) => b.textContent.trim() === "Ask");
  if (tab) tab.click();
}"""


def stories_tab(
    handler: StoriesHandler,
    sources: Callable[[], list[str]],
    page: Any,
    ask_story: Any | None = None,
) -> None:
    """The tab's components and events, inside the page's Blocks."""
    with gr.Tab("Stories"):
        with gr.Row():
            since = gr.Textbox(label="Since", placeholder="YYYY-MM-DD")
            until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD")
            source = gr.Dropdown(
                choices=[ALL_SOURCES, *sources()], value=ALL_SOURCES, label="Source"
            )
            show = gr.Button("Show stories", variant="primary")
        listing = gr.Markdown(sanitize_html=True, elem_id="stories-list")
        story = gr.Dropdown(choices=[], label="Story", filterable=True, elem_id="story-choice")
        articles = gr.Markdown(sanitize_html=True, elem_id="story-articles")
        with gr.Row():
            compare = gr.Button("Coverage across outlets")
            ask = gr.Button("Ask about this story") if ask_story is not None else None
        asked = gr.Markdown(sanitize_html=True, elem_id="story-ask")
        coverage = gr.Markdown(sanitize_html=True, elem_id="story-coverage")
        with gr.Row():
            topic = gr.Textbox(label="…or a topic for a timeline", placeholder="e.g. Yellowstone")
            timeline = gr.Button("Timeline")
        events = gr.Markdown(sanitize_html=True, elem_id="story-timeline")
        with gr.Row():
            as_of = gr.Textbox(label="Briefing as of", placeholder="YYYY-MM-DD (default today)")
            days = gr.Number(label="Days", value=7, minimum=1, precision=0)
            brief = gr.Button("Briefing")
        briefing = gr.Markdown(sanitize_html=True, elem_id="story-briefing")
        saved = gr.File(label="Briefing as Markdown")

        show.click(handler.list, inputs=[since, until, source], outputs=[story, listing])
        # The latest stories are listed when the page opens (one query of a small table).
        page.load(handler.list, inputs=[since, until, source], outputs=[story, listing])
        story.change(handler.open, inputs=story, outputs=articles)
        compare.click(handler.coverage, inputs=story, outputs=coverage)
        if ask is not None and ask_story is not None:
            ask.click(handler.ask, inputs=story, outputs=[ask_story, asked]).then(
                None, js=_OPEN_ASK_TAB
            )
        timeline.click(handler.timeline, inputs=[story, topic], outputs=events)
        brief.click(handler.brief, inputs=[as_of, days], outputs=[briefing, saved])
