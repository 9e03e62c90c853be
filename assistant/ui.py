"""The Gradio web app. Handlers are plain functions of their inputs, testable without a
browser; ``build_ui`` only lays them out."""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from assistant.chains.qa import Answer, QAChain, Retrieved, Token, Turn
from assistant.corpus import parse_date
from assistant.errors import AssistantError
from assistant.retrieval import Filters
from assistant.store import Passage

if TYPE_CHECKING:
    from assistant.ui_tools import CorpusHandler, FactCheckHandler, SummaryHandler

log = logging.getLogger(__name__)

ALL_SOURCES = "All sources"
_EXCERPT_CHARS = 220


def _text_of(content: Any) -> str:
    """Gradio message content is a string, or a list of parts in newer versions."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, list | tuple):
        return " ".join(_text_of(part) for part in content)
    return ""


def history_to_turns(history: Sequence[dict[str, Any]]) -> list[Turn]:
    """Pair up Gradio's messages into (question, answer) turns, sources stripped."""
    turns: list[Turn] = []
    pending: str | None = None
    for message in history:
        role, text = message.get("role"), _text_of(message.get("content"))
        if role == "user":
            pending = text
        elif role == "assistant" and pending is not None:
            turns.append((pending, text.split("\n\n**Sources**", 1)[0]))
            pending = None
    return turns


def escape(text: str) -> str:
    """Article text and model output are shown as text: no live HTML, no Markdown tricks."""
    return html.escape(text, quote=False)


def excerpt(passage: Passage) -> str:
    text = " ".join(passage.text.split())
    if len(text) > _EXCERPT_CHARS:
        text = text[:_EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"
    return text


def format_sources(answer: Answer) -> str:
    """Markdown list of the passages an answer cites (or, if it cites none, of those it
    was given), each with its title, date, source and the passage itself."""
    if not answer.passages:
        return ""
    numbers = answer.cited or list(range(1, len(answer.passages) + 1))
    heading = "**Sources**" if answer.cited else "**Sources** (passages given; none cited)"
    lines = [heading]
    for number in numbers:
        p = answer.passages[number - 1]
        meta = " · ".join(x for x in (p.published, p.source) if x)
        title = escape(p.title) or "Untitled"
        link = f" · [link]({p.url})" if p.url.startswith(("http://", "https://")) else ""
        lines.append(f"[{number}] **{title}** ({escape(meta)}){link}\n> {escape(excerpt(p))}")
    return "\n\n".join(lines)


def parse_filters(since: str, until: str, source: str, as_of: str = "") -> Filters:
    """Form fields to filters; a date that cannot be read is an error naming the field."""
    parsed: dict[str, date | None] = {}
    for name, value in (("Since", since), ("Until", until), ("As of", as_of)):
        value = (value or "").strip()
        parsed[name] = parse_date(value) if value else None
        if value and parsed[name] is None:
            raise AssistantError(f"'{name}' must be a date like 2024-03-25, not {value!r}.")
    chosen = source if source and source != ALL_SOURCES else None
    return Filters(
        since=parsed["Since"], until=parsed["Until"], source=chosen, as_of=parsed["As of"]
    )


class ChatHandler:
    def __init__(self, qa: Callable[[], QAChain], backend_label: Callable[[], str]) -> None:
        # Callables, so the handler always uses the current chain (a restarted server
        # brings a new one).
        self.qa = qa
        self.backend_label = backend_label

    def respond(
        self,
        message: str,
        history: Sequence[dict[str, Any]],
        since: str = "",
        until: str = "",
        source: str = ALL_SOURCES,
        as_of: str = "",
    ) -> Iterator[str]:
        """Yield the growing answer, then the answer with its sources under it."""
        if not message or not message.strip():
            yield "Ask a question about the articles."
            return
        text = ""
        try:
            filters = parse_filters(since, until, source, as_of)
            for event in self.qa().stream(message.strip(), history_to_turns(history), filters):
                if isinstance(event, Retrieved):
                    yield "_Searching the articles…_"
                elif isinstance(event, Token):
                    text += event.text
                    yield escape(text)
                elif isinstance(event, Answer):
                    footer = f"_Answered by {escape(self.backend_label())}_"
                    parts = (escape(event.text), format_sources(event), footer)
                    yield "\n\n".join(x for x in parts if x)
        except AssistantError as exc:
            yield "\n\n".join(x for x in (escape(text), f"⚠️ {escape(str(exc))}") if x)
        except Exception as exc:  # the page must show a message, never a stack trace
            log.exception("Chat failed")
            yield f"⚠️ Something went wrong while answering ({type(exc).__name__}). See the log."


def build_ui(
    handler: ChatHandler,
    header: Callable[[], str],
    sources: Callable[[], list[str]],
    summaries: SummaryHandler | None = None,
    factchecks: FactCheckHandler | None = None,
    corpus: CorpusHandler | None = None,
) -> Any:
    import gradio as gr

    with gr.Blocks(title="Newsroom assistant") as demo:
        status = gr.Markdown(header())
        with gr.Tab("Ask"):
            with gr.Accordion("Dates and sources", open=False), gr.Row():
                as_of = gr.Textbox(
                    label="As of",
                    placeholder="YYYY-MM-DD",
                    info="Ask as on this day: later articles are left out, and "
                    "“this week” means the week before it.",
                )
                since = gr.Textbox(label="Since", placeholder="YYYY-MM-DD")
                until = gr.Textbox(label="Until", placeholder="YYYY-MM-DD")
                source = gr.Dropdown(
                    choices=[ALL_SOURCES, *sources()], value=ALL_SOURCES, label="Source"
                )
            gr.ChatInterface(
                handler.respond,
                chatbot=gr.Chatbot(
                    height=520,
                    label="Chat",
                    sanitize_html=True,
                    placeholder="Ask about the news in the corpus, e.g. "
                    "“Who did Zelenskyy speak with, and what did they agree?”",
                ),
                additional_inputs=[since, until, source, as_of],
                api_name="chat",
            )
        if summaries is not None:
            with gr.Tab("Summarize"):
                article = gr.Dropdown(
                    choices=summaries.choices(),
                    label="Article (type to search)",
                    filterable=True,
                )
                topic = gr.Textbox(
                    label="…or a topic across the corpus",
                    placeholder="e.g. Ukraine's air defence",
                )
                with gr.Row():
                    length = gr.Radio(
                        [
                            ("brief", "brief"),
                            ("paragraph", "paragraph"),
                            ("bullets", "bullets"),
                            ("key sentences (the article's own words)", "key"),
                        ],
                        value="brief",
                        label="Length",
                    )
                    topic_since = gr.Textbox(label="Topic since", placeholder="YYYY-MM-DD")
                    topic_until = gr.Textbox(label="Topic until", placeholder="YYYY-MM-DD")
                summarize = gr.Button("Summarize", variant="primary")
                summary = gr.Markdown(sanitize_html=True, elem_id="summary-output")
                summarize.click(
                    summaries.summarize,
                    inputs=[article, topic, length, topic_since, topic_until],
                    outputs=summary,
                    api_name="summarize",
                )
                demo.load(lambda: gr.update(choices=summaries.choices()), outputs=article)
        if factchecks is not None:
            with gr.Tab("Fact-check"):
                claim = gr.Textbox(
                    label="Claim, or a paragraph of claims",
                    lines=3,
                    placeholder="e.g. Spain and Ukraine signed a bilateral security agreement.",
                )
                check_as_of = gr.Textbox(
                    label="As of", placeholder="YYYY-MM-DD (optional)", max_lines=1
                )
                check = gr.Button("Check", variant="primary")
                verdicts = gr.Markdown(sanitize_html=True, elem_id="factcheck-output")
                check.click(
                    factchecks.check,
                    inputs=[claim, check_as_of],
                    outputs=verdicts,
                    api_name="check",
                )
        if corpus is not None:
            with gr.Tab("Articles"):
                uploads = gr.File(
                    label="Drop articles here (text, Markdown, JSON, JSONL, HTML, PDF, RSS/Atom)",
                    file_count="multiple",
                )
                with gr.Row():
                    add = gr.Button("Add to the corpus", variant="primary")
                    cancel = gr.Button("Cancel")
                added = gr.Markdown(sanitize_html=True, elem_id="upload-report")
                add.click(corpus.add, inputs=uploads, outputs=added, api_name="add_articles")
                cancel.click(corpus.cancel, outputs=added, api_name="cancel_ingest")
                stored = gr.Dropdown(
                    choices=corpus.choices(),
                    label="Stored article (type to search)",
                    filterable=True,
                )
                remove = gr.Button("Remove this article", variant="stop")
                removed = gr.Markdown(sanitize_html=True)
                remove.click(
                    corpus.remove, inputs=stored, outputs=removed, api_name="remove_article"
                )

                def refresh() -> Any:
                    return gr.update(choices=corpus.choices(), value=None)

                # Lists and the header follow the corpus as it changes.
                added.change(refresh, outputs=stored)
                removed.change(refresh, outputs=stored)
                added.change(header, outputs=status)
                removed.change(header, outputs=status)
        demo.load(header, outputs=status)
    return demo
