"""The Gradio page: lays the handlers out in tabs. The handlers are plain functions of
their inputs, testable without a browser; nothing here decides what they show."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr

from assistant.answer.lengths import LENGTH_NAMES
from assistant.app.filters import ALL_SOURCES
from assistant.app.web.chat import ChatHandler
from assistant.app.web.feeds_panel import FeedsHandler
from assistant.app.web.history import ConversationKeeper
from assistant.app.web.stories_tab import StoriesHandler, stories_tab
from assistant.app.web.tools import CorpusHandler, FactCheckHandler, SummaryHandler


def build_ui(
    handler: ChatHandler,
    header: Callable[[], str],
    sources: Callable[[], list[str]],
    summaries: SummaryHandler | None = None,
    factchecks: FactCheckHandler | None = None,
    corpus: CorpusHandler | None = None,
    stories: StoriesHandler | None = None,
    conversations: ConversationKeeper | None = None,
    feeds: FeedsHandler | None = None,
) -> Any:
    with gr.Blocks(title="Newsroom assistant") as demo:
        with gr.Row():
            status = gr.Markdown(header())
            # Each browser session keeps its own choice; the default is the app's model.
            model = (
                gr.Dropdown(
                    choices=handler.models.names(),
                    value=handler.models.default_name,
                    label="Model",
                    info="Larger models read more carefully and answer more slowly.",
                    elem_id="model-choice",
                    scale=0,
                    min_width=240,
                )
                if handler.models is not None
                else None
            )
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
            # Set by the Stories tab's "Ask about this story": questions then search only
            # that story's articles, follow-ups included, until the field is cleared.
            # An explicit empty value makes the field optional for API clients of the page
            # (gradio_client), like the filters before it.
            story = gr.Textbox(
                value="",
                label="Story",
                placeholder="a story id: questions search only its articles",
                elem_id="ask-story",
                visible=stories is not None,
            )
            # The browser session's token for its kept conversations (see web/history).
            session = gr.State()
            chat = gr.ChatInterface(
                conversations.respond if conversations else _without_session(handler),
                chatbot=gr.Chatbot(
                    height=520,
                    label="Chat",
                    sanitize_html=True,
                    placeholder="Ask about the news in the corpus, e.g. "
                    "“Who did Zelenskyy speak with, and what did they agree?”",
                ),
                additional_inputs=[
                    session,
                    since,
                    until,
                    source,
                    as_of,
                    model or gr.State(None),
                    story,
                ],
                api_name="chat",
            )
            if conversations is not None:
                _past_conversations(demo, conversations, session, chat)
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
                        list(LENGTH_NAMES),
                        value="brief",
                        label="Length (key: the article's own key sentences)",
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
        if stories is not None:
            stories_tab(stories, sources, demo, story)
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

                # Gradio fills in ``request`` (by its type): the browser session asking.
                def add_articles(files: list[Any] | None, request: gr.Request) -> Iterator[str]:
                    yield from corpus.add(files, session=request.session_hash or "")

                def cancel_ingest(request: gr.Request) -> str:
                    return corpus.cancel(session=request.session_hash or "")

                add.click(add_articles, inputs=uploads, outputs=added, api_name="add_articles")
                cancel.click(cancel_ingest, outputs=added, api_name="cancel_ingest")
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
                if feeds is not None:
                    read = _feeds_panel(demo, feeds)
                    read.change(refresh, outputs=stored)
                    read.change(header, outputs=status)
        demo.load(header, outputs=status)
    return demo


def _without_session(handler: ChatHandler) -> Callable[..., Iterator[str]]:
    def respond(message: str, history: Any, session: Any, *args: Any) -> Iterator[str]:
        return handler.respond(message, history, *args)

    return respond


def _past_conversations(
    demo: Any, keeper: ConversationKeeper, session: Any, chat: gr.ChatInterface
) -> None:
    """The small panel under the chat: reopen, delete or export a kept conversation."""

    def begin(request: gr.Request) -> str:
        return keeper.begin(request.username or "")

    demo.load(begin, outputs=session, api_visibility="private")
    with gr.Accordion("Past conversations", open=False, elem_id="past-conversations"):
        past = gr.Dropdown(choices=[], label="Conversation (newest first)", elem_id="past-list")
        with gr.Row():
            reopen = gr.Button("Open", size="sm")
            delete = gr.Button("Delete", size="sm", variant="stop")
            export = gr.Button("Export as Markdown", size="sm")
        note = gr.Markdown()
        exported = gr.File(label="Markdown", visible=False, elem_id="past-export")

    def listed(token: str | None) -> Any:
        return gr.update(choices=keeper.choices(token))

    def opened(token: str | None, chosen: str | None) -> tuple[Any, str]:
        messages = keeper.reopen(token, chosen)
        if messages is None:
            return gr.skip(), "Choose a conversation first."
        return messages, ""

    def deleted(token: str | None, chosen: str | None) -> tuple[Any, str]:
        note = keeper.delete(token, chosen)
        return gr.update(choices=keeper.choices(token), value=None), note

    def exported_file(token: str | None, chosen: str | None) -> Any:
        path = keeper.export(token, chosen)
        return gr.update(value=str(path) if path else None, visible=path is not None)

    past.focus(listed, inputs=session, outputs=past, api_visibility="private")
    reopen.click(opened, [session, past], [chat.chatbot_value, note], api_visibility="private")
    delete.click(deleted, [session, past], [past, note], api_visibility="private")
    export.click(exported_file, [session, past], exported, api_visibility="private")


def _feeds_panel(demo: Any, feeds: FeedsHandler) -> Any:
    """Feeds read on a schedule: add, remove, read now, and how each last read went. Returns
    the note that changes when a read may have changed the corpus."""
    with gr.Accordion("Feeds", open=False, elem_id="feeds"):
        with gr.Row():
            url = gr.Textbox(label="Feed URL", placeholder="https://…/rss", scale=3)
            add = gr.Button("Add feed", scale=1)
        with gr.Row():
            listed = gr.Dropdown(
                choices=feeds.choices(), label="Feed", scale=3, elem_id="feeds-list"
            )
            remove = gr.Button("Remove", variant="stop", scale=1)
            read = gr.Button("Refresh now", scale=1)
        note = gr.Markdown()
        table = gr.Markdown(feeds.table(), elem_id="feeds-status")

    def after(message: str) -> tuple[str, Any, str]:
        return message, gr.update(choices=feeds.choices(), value=None), feeds.table()

    outputs = [note, listed, table]
    add.click(lambda u: after(feeds.add(u)), url, outputs, api_visibility="private")
    remove.click(lambda u: after(feeds.remove(u)), listed, outputs, api_visibility="private")
    read.click(lambda u: after(feeds.refresh(u)), listed, outputs, api_visibility="private")
    demo.load(feeds.table, outputs=table, api_visibility="private")
    return note
