"""The Ask tab's past conversations: each chat saved as it goes, under the login of the
browser session that asks, and listed, reopened, deleted and exported for that login only.

A browser session is known by a token kept in a Gradio State (held on the server, so a page
cannot claim another's); the login it belongs to is recorded when the page loads."""

from __future__ import annotations

import re
import tempfile
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.app.conversations import ConversationStore
from assistant.app.web.chat import ChatHandler, message_text

# Page sessions remembered, as many as Gradio keeps the state of; the oldest are forgotten
# (their conversations stay in the store, and a new page lists them).
MAX_SESSIONS = 10_000


@dataclass
class _Session:
    user: str
    conversation: str | None = None


class ConversationKeeper:
    def __init__(self, store: ConversationStore, chat: ChatHandler) -> None:
        self.store = store
        self.chat = chat
        self._sessions: OrderedDict[str, _Session] = OrderedDict()
        self._lock = threading.Lock()

    def begin(self, user: str) -> str:
        """A token for a browser session of ``user`` ("" without a login)."""
        token = uuid.uuid4().hex
        with self._lock:
            self._sessions[token] = _Session(user)
            while len(self._sessions) > MAX_SESSIONS:
                self._sessions.popitem(last=False)
        return token

    def _session(self, token: str | None) -> _Session | None:
        with self._lock:
            return self._sessions.get(token or "")

    def respond(
        self, message: str, history: Sequence[dict[str, Any]], token: str | None, *args: Any
    ) -> Iterator[str]:
        """The chat handler's answer, the conversation saved before it and after it."""
        session = self._session(token)
        if session is None or not message or not message.strip():
            yield from self.chat.respond(message, history, *args)
            return  # an API client of the page has no session to keep
        if not history or session.conversation is None:
            session.conversation = self.store.start(session.user, message)
        asked: list[dict[str, Any]] = [
            {"role": m.get("role"), "content": message_text(m.get("content"))} for m in history
        ]
        asked.append({"role": "user", "content": message.strip()})
        self.store.save(session.user, session.conversation, asked)
        shown = ""
        try:
            for shown in self.chat.respond(message, history, *args):
                yield shown
        finally:  # also when the reader stops the answer: what was shown is kept
            answered = [*asked, {"role": "assistant", "content": shown}]
            self.store.save(session.user, session.conversation, answered)

    def choices(self, token: str | None) -> list[tuple[str, str]]:
        session = self._session(token)
        if session is None:
            return []
        return [
            (f"{c.title} · {time.strftime('%Y-%m-%d %H:%M', time.localtime(c.updated))}", c.id)
            for c in self.store.list(session.user)
        ]

    def reopen(self, token: str | None, conversation: str | None) -> list[dict[str, Any]] | None:
        """The messages of one of the session's own conversations, which later questions
        continue; None if there is no such conversation."""
        session = self._session(token)
        if session is None or not conversation:
            return None
        opened = self.store.open(session.user, conversation)
        if opened is None:
            return None
        session.conversation = conversation
        return opened.messages

    def delete(self, token: str | None, conversation: str | None) -> str:
        session = self._session(token)
        if session is None or not conversation:
            return "Choose a conversation first."
        if not self.store.delete(session.user, conversation):
            return "There is no such conversation."
        if session.conversation == conversation:
            session.conversation = None
        return "Deleted."

    def export(self, token: str | None, conversation: str | None) -> Path | None:
        """The conversation as a Markdown file, for the page to offer as a download."""
        session = self._session(token)
        if session is None or not conversation:
            return None
        text = self.store.export_markdown(session.user, conversation)
        if text is None:
            return None
        title = text.splitlines()[0].lstrip("# ")
        name = re.sub(r"[^\w-]+", "-", title).strip("-")[:60] or "conversation"
        folder = Path(tempfile.mkdtemp(prefix="conversation-"))
        path = folder / f"{name}.md"
        path.write_text(text, encoding="utf-8")
        return path
