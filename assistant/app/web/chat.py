"""The Ask tab's handler: a question and the chat so far in, the growing answer with its
sources out, as Markdown."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from assistant.answer.qa import QAChain
from assistant.app.filters import ALL_SOURCES, parse_filters
from assistant.app.render import escape, format_answer, format_sources, provenance
from assistant.errors import AssistantError
from assistant.types import Answer, Event, Filters, Retrieved, Token, Turn

if TYPE_CHECKING:
    from assistant.app.model_choice import ModelChoice

log = logging.getLogger(__name__)


def message_text(content: Any) -> str:
    """Gradio message content is a string, or a list of parts in newer versions."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("value") or "")
    if isinstance(content, list | tuple):
        return " ".join(message_text(part) for part in content)
    return ""


def history_to_turns(history: Sequence[dict[str, Any]]) -> list[Turn]:
    """Pair up Gradio's messages into (question, answer) turns, sources stripped."""
    turns: list[Turn] = []
    pending: str | None = None
    for message in history:
        role, text = message.get("role"), message_text(message.get("content"))
        if role == "user":
            pending = text
        elif role == "assistant" and pending is not None:
            turns.append((pending, text.split("\n\n**Sources**", 1)[0]))
            pending = None
    return turns


class ChatHandler:
    def __init__(
        self,
        qa: Callable[[], QAChain],
        backend_label: Callable[[], str],
        models: ModelChoice | None = None,
        story_scope: Callable[[str, Filters], tuple[str, Filters]] | None = None,
    ) -> None:
        # Callables, so the handler always uses the current chain (a restarted server
        # brings a new one).
        self.qa = qa
        self.backend_label = backend_label
        self.models = models
        # (story id, filters) to (its headline, the filters kept to its articles).
        self.story_scope = story_scope

    def _chosen(self, model: str | None) -> tuple[Callable[[], QAChain], Callable[[], str]]:
        if self.models is None or not model:
            return self.qa, self.backend_label
        runtime = self.models.runtime(model)
        return runtime.current_qa, lambda: runtime.backend.label

    def events(
        self,
        message: str,
        history: Sequence[dict[str, Any]],
        filters: Filters,
        model: str | None = None,
    ) -> Iterator[Event]:
        """The answer's events, from the chosen model's chain: the one path the page and
        the API both take."""
        qa, _ = self._chosen(model)
        return qa().stream(message.strip(), history_to_turns(history), filters)

    def respond(
        self,
        message: str,
        history: Sequence[dict[str, Any]],
        since: str = "",
        until: str = "",
        source: str = ALL_SOURCES,
        as_of: str = "",
        model: str | None = None,
        story: str = "",
    ) -> Iterator[str]:
        """Yield the growing answer, then the answer with its sources under it."""
        if not message or not message.strip():
            yield "Ask a question about the articles."
            return
        text = ""
        try:
            filters = parse_filters(since, until, source, as_of)
            on_story = ""
            if story and story.strip() and self.story_scope is not None:
                headline, filters = self.story_scope(story.strip(), filters)
                on_story = f"_On the story: {escape(headline)}_"
            if model and self.models is not None and not self.models.ready(model):
                yield f"_Starting {escape(model)}; the first answer takes longer…_"
            _, backend_label = self._chosen(model)
            for event in self.events(message, history, filters, model):
                if isinstance(event, Retrieved):
                    yield "_Searching the articles…_"
                elif isinstance(event, Token):
                    text += event.text
                    yield escape(text)
                elif isinstance(event, Answer):
                    footer = f"_{escape(provenance(event, backend_label()))}_"
                    parts = (format_answer(event), format_sources(event), on_story, footer)
                    yield "\n\n".join(x for x in parts if x)
        except AssistantError as exc:
            yield "\n\n".join(x for x in (escape(text), f"⚠️ {escape(str(exc))}") if x)
        except Exception as exc:  # the page must show a message, never a stack trace
            log.exception("Chat failed")
            yield f"⚠️ Something went wrong while answering ({type(exc).__name__}). See the log."
