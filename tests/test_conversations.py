"""Kept conversations: saved as they go, newest first, reopened and continued, deleted,
exported as Markdown with their sources; each login sees only its own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.app.conversations import ConversationStore, title_of
from assistant.app.web.history import ConversationKeeper

ANSWER = "Zelenskyy spoke with Pedro Sánchez [1].\n\n**Sources**\n\n[1] **Seed** (2024-03-25)"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ConversationStore]:
    opened = ConversationStore(tmp_path / "conversations.sqlite3")
    yield opened
    opened.close()


def test_a_conversation_is_titled_by_its_first_question_and_kept(
    store: ConversationStore, tmp_path: Path
) -> None:
    first = store.start("ann", "Who did Zelenskyy speak with?")
    messages = [
        {"role": "user", "content": "Who did Zelenskyy speak with?"},
        {"role": "assistant", "content": ANSWER},
    ]
    assert store.save("ann", first, messages)
    store.close()
    again = ConversationStore(tmp_path / "conversations.sqlite3")  # survives a restart
    [listed] = again.list("ann")
    assert listed.title == "Who did Zelenskyy speak with?"
    opened = again.open("ann", first)
    assert opened is not None and opened.messages == messages
    again.close()


def test_newest_first_and_continuing_brings_one_to_the_top(store: ConversationStore) -> None:
    older = store.start("ann", "First question")
    newer = store.start("ann", "Second question")
    assert [c.id for c in store.list("ann")] == [newer, older]
    store.save("ann", older, [{"role": "user", "content": "First question"}])
    assert [c.id for c in store.list("ann")] == [older, newer]


def test_delete_and_export(store: ConversationStore) -> None:
    kept = store.start("ann", "Who did Zelenskyy speak with?")
    store.save(
        "ann",
        kept,
        [
            {"role": "user", "content": "Who did Zelenskyy speak with?"},
            {"role": "assistant", "content": ANSWER},
        ],
    )
    markdown = store.export_markdown("ann", kept)
    assert markdown is not None
    assert markdown.startswith("# Who did Zelenskyy speak with?")
    assert "## Q: Who did Zelenskyy speak with?" in markdown
    assert "**Sources**" in markdown and "2024-03-25" in markdown
    assert store.delete("ann", kept)
    assert store.list("ann") == [] and store.open("ann", kept) is None
    assert not store.delete("ann", kept)


def test_a_user_cannot_list_open_change_or_delete_anothers(store: ConversationStore) -> None:
    bobs = store.start("bob", "Bob's private question")
    store.save("bob", bobs, [{"role": "user", "content": "Bob's private question"}])
    assert store.list("ann") == []
    assert store.open("ann", bobs) is None
    assert store.export_markdown("ann", bobs) is None
    assert not store.save("ann", bobs, [])
    assert not store.delete("ann", bobs)
    opened = store.open("bob", bobs)
    assert opened is not None and len(opened.messages) == 1


def test_a_long_question_makes_a_short_title() -> None:
    title = title_of("word " * 50)
    assert len(title) <= 82 and title.endswith("…")


class _ScriptedChat:
    """Stands in for the chat handler: answers each question with a fixed reply."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, list[dict[str, Any]]]] = []

    def respond(self, message: str, history: list[dict[str, Any]], *_: Any) -> Iterator[str]:
        self.asked.append((message, list(history)))
        yield "_Searching the articles…_"
        yield f"Answer to {message}"


def test_the_keeper_saves_as_it_goes_and_continues_a_reopened_chat(
    store: ConversationStore,
) -> None:
    chat = _ScriptedChat()
    keeper = ConversationKeeper(store, chat)  # type: ignore[arg-type]
    ann, bob = keeper.begin("ann"), keeper.begin("bob")
    list(keeper.respond("Who spoke?", [], ann, "", "", "", ""))
    [(label, first)] = keeper.choices(ann)
    assert label.startswith("Who spoke?")
    assert keeper.choices(bob) == [] and keeper.reopen(bob, first) is None
    assert keeper.delete(bob, first) == "There is no such conversation."
    assert keeper.export(bob, first) is None

    # A new page session of the same login reopens the chat and continues it.
    again = keeper.begin("ann")
    history = keeper.reopen(again, first)
    assert history == [
        {"role": "user", "content": "Who spoke?"},
        {"role": "assistant", "content": "Answer to Who spoke?"},
    ]
    list(keeper.respond("What else?", history, again, "", "", "", ""))
    assert chat.asked[-1] == ("What else?", history)  # the follow-up sees the conversation
    opened = store.open("ann", first)
    assert opened is not None and [m["content"] for m in opened.messages][-2:] == [
        "What else?",
        "Answer to What else?",
    ]
    assert len(keeper.choices(ann)) == 1
    exported = keeper.export(again, first)
    assert exported is not None and "## Q: What else?" in exported.read_text(encoding="utf-8")


def test_a_stopped_answer_keeps_what_was_shown(store: ConversationStore) -> None:
    keeper = ConversationKeeper(store, _ScriptedChat())  # type: ignore[arg-type]
    token = keeper.begin("ann")
    answer = keeper.respond("Who spoke?", [], token, "", "", "", "")
    assert next(answer) == "_Searching the articles…_"
    answer.close()  # the reader pressed Stop
    [(_, kept)] = keeper.choices(token)
    opened = store.open("ann", kept)
    assert opened is not None and opened.messages[-1]["content"] == "_Searching the articles…_"


def test_without_a_page_session_nothing_is_kept(store: ConversationStore) -> None:
    keeper = ConversationKeeper(store, _ScriptedChat())  # type: ignore[arg-type]
    assert (
        list(keeper.respond("Who spoke?", [], None, "", "", "", ""))[-1] == "Answer to Who spoke?"
    )
    assert store.list("") == []
