"""Conversations kept in SQLite beside the store: saved as they go, listed newest first,
reopened, deleted and exported. Every call names the user, and a user reaches only their
own conversations: another user's id is treated as one that does not exist."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FILE_NAME = "conversations.sqlite3"
_TITLE_CHARS = 80

_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id TEXT PRIMARY KEY, user TEXT NOT NULL, title TEXT NOT NULL,
    created REAL NOT NULL, updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS conversations_by_user ON conversations (user, updated);
CREATE TABLE IF NOT EXISTS messages (
    conversation TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    position INTEGER NOT NULL, role TEXT NOT NULL, content TEXT NOT NULL,
    PRIMARY KEY (conversation, position)
);
"""


@dataclass(frozen=True)
class ConversationInfo:
    id: str
    title: str
    updated: float


@dataclass(frozen=True)
class Conversation:
    info: ConversationInfo
    messages: list[dict[str, Any]]  # {"role": "user" | "assistant", "content": Markdown}


def title_of(question: str) -> str:
    words = " ".join(question.split())
    if len(words) > _TITLE_CHARS:
        words = words[:_TITLE_CHARS].rsplit(" ", 1)[0] + " …"
    return words or "Untitled"


class ConversationStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # One connection shared by the app's threads, its use serialized by a lock.
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def start(self, user: str, question: str) -> str:
        """A new conversation, titled by its first question; its id."""
        conversation, now = uuid.uuid4().hex, time.time()
        with self._lock:
            self._db.execute(
                "INSERT INTO conversations VALUES (?, ?, ?, ?, ?)",
                (conversation, user, title_of(question), now, now),
            )
        return conversation

    def save(self, user: str, conversation: str, messages: list[dict[str, Any]]) -> bool:
        """Replace the conversation's messages with ``messages``; False if it is not the
        user's. One transaction: a crash keeps the messages before or after, never half."""
        with self._lock:
            if not self._owns(user, conversation):
                return False
            self._db.execute("BEGIN")
            try:
                self._db.execute("DELETE FROM messages WHERE conversation = ?", (conversation,))
                self._db.executemany(
                    "INSERT INTO messages VALUES (?, ?, ?, ?)",
                    [
                        (conversation, n, str(m.get("role", "")), _content(m.get("content")))
                        for n, m in enumerate(messages)
                    ],
                )
                self._db.execute(
                    "UPDATE conversations SET updated = ? WHERE id = ?", (time.time(), conversation)
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return True

    def list(self, user: str) -> list[ConversationInfo]:
        """The user's conversations, the most recently continued first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, title, updated FROM conversations WHERE user = ? "
                "ORDER BY updated DESC, rowid DESC",
                (user,),
            ).fetchall()
        return [ConversationInfo(*row) for row in rows]

    def open(self, user: str, conversation: str) -> Conversation | None:
        with self._lock:
            row = self._db.execute(
                "SELECT id, title, updated FROM conversations WHERE id = ? AND user = ?",
                (conversation, user),
            ).fetchone()
            if row is None:
                return None
            messages = self._db.execute(
                "SELECT role, content FROM messages WHERE conversation = ? ORDER BY position",
                (conversation,),
            ).fetchall()
        return Conversation(
            ConversationInfo(*row), [{"role": r, "content": c} for r, c in messages]
        )

    def delete(self, user: str, conversation: str) -> bool:
        with self._lock:
            deleted = self._db.execute(
                "DELETE FROM conversations WHERE id = ? AND user = ?", (conversation, user)
            )
        return deleted.rowcount > 0

    def export_markdown(self, user: str, conversation: str) -> str | None:
        """The conversation as a Markdown document: each question, then its answer as
        shown, with the sources under it."""
        opened = self.open(user, conversation)
        if opened is None:
            return None
        day = time.strftime("%Y-%m-%d %H:%M", time.localtime(opened.info.updated))
        parts = [f"# {opened.info.title}", f"_Newsroom assistant conversation, {day}_"]
        for message in opened.messages:
            if message["role"] == "user":
                parts.append(f"## Q: {message['content']}")
            else:
                parts.append(message["content"])
        return "\n\n".join(parts) + "\n"

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _owns(self, user: str, conversation: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM conversations WHERE id = ? AND user = ?", (conversation, user)
        ).fetchone()
        return row is not None


def _content(content: Any) -> str:
    if isinstance(content, str):
        return content
    return json.dumps(content, ensure_ascii=False)
