"""The chat handler as a plain function: streaming, sources, filters and failures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.answer.prompts import load_prompts
from assistant.answer.qa import QAChain
from assistant.app.web.chat import ALL_SOURCES, ChatHandler, history_to_turns, parse_filters
from assistant.config import PROJECT_ROOT
from assistant.errors import ModelUnavailableError
from assistant.types import Filters, Passage

SEED_PASSAGE = Passage(
    chunk_id="c1",
    article_id="a1",
    index=0,
    text="Zelenskyy and <b>Sánchez</b> agreed to accelerate a security agreement.",
    title="Zelenskyy and Sánchez talk",
    published="2024-03-25",
    source="seed.txt",
    url="",
    score=0.7,
)


def handler_for(responses: list[str], seen: list[Any] | None = None) -> ChatHandler:
    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        if seen is not None:
            seen.append((query, filters))
        return [SEED_PASSAGE]

    chain = QAChain(
        FakeListChatModel(responses=responses),
        retrieve,
        load_prompts(PROJECT_ROOT / "prompts"),
        800,
        0.2,
    )
    return ChatHandler(lambda: chain, lambda: "fake · test-model")


def test_answer_grows_then_ends_with_sources_and_backend(cache_dir: object) -> None:
    answer = "He and Sánchez agreed to accelerate a security agreement [1]."
    outputs = list(handler_for([answer]).respond("Who?", []))
    assert len(outputs) > 3
    grown = [o for o in outputs if o.startswith("He")]
    assert len(grown[0]) < len(grown[-2])  # streamed
    final = outputs[-1]
    assert final.startswith(answer)
    assert "**Sources**" in final and "Zelenskyy and Sánchez talk" in final
    assert "2024-03-25" in final and "seed.txt" in final
    assert "&lt;b&gt;Sánchez&lt;/b&gt;" in final  # article text is shown as text
    assert final.rstrip().splitlines()[-1].startswith("_Answered by fake · test-model")


def test_an_option_picked_from_the_passages_says_no_model_was_asked(cache_dir: object) -> None:
    question = "Who agreed to a security agreement? (A) Macron (B) Sánchez (C) Scholz"
    final = list(handler_for(["(A) Macron"]).respond(question, []))[-1]
    assert final.startswith("(B) Sánchez [1].")
    assert "**Sources**" in final
    assert final.rstrip().endswith("_Picked from the passages; no model was asked_")


def test_history_and_filters_reach_the_chain(cache_dir: object) -> None:
    seen: list[Any] = []
    handler = handler_for(
        ["Sánchez and Zelenskyy discussed air defence.", "Air defence [1]."], seen
    )
    history = [
        {"role": "user", "content": "Who did Zelenskyy speak with?"},
        {"role": "assistant", "content": "Sánchez [1].\n\n**Sources**\n\n[1] ..."},
    ]
    list(handler.respond("What else did they discuss?", history, "2024-03-01", "", "seed.txt"))
    query, filters = seen[0]
    assert query.startswith("Sánchez and Zelenskyy discussed air defence.")
    assert filters.since.isoformat() == "2024-03-01" and filters.source == "seed.txt"


def test_history_pairs_turns_without_sources() -> None:
    history = [
        {"role": "user", "content": [{"type": "text", "text": "Q1"}]},
        {"role": "assistant", "content": "A1\n\n**Sources**\n\n[1] x"},
        {"role": "user", "content": "Q2"},
    ]
    assert history_to_turns(history) == [("Q1", "A1")]


def test_bad_date_filter_is_a_clear_message(cache_dir: object) -> None:
    [output] = list(handler_for(["unused"]).respond("Who?", [], "March", "", ALL_SOURCES))
    assert "'Since' must be a date like 2024-03-25" in output


def test_parse_filters_all_sources_means_none() -> None:
    assert parse_filters("", "2024-01-31", ALL_SOURCES) == Filters(
        until=parse_filters("", "2024-01-31", "").until
    )
    assert parse_filters("", "", ALL_SOURCES).source is None


class BrokenChain:
    def __init__(self, error: Exception) -> None:
        self.error = error

    def stream(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        raise self.error
        yield  # pragma: no cover


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (
            ModelUnavailableError("The model server cannot be reached"),
            "⚠️ The model server cannot be reached",
        ),
        (RuntimeError("boom"), "⚠️ Something went wrong while answering (RuntimeError)"),
    ],
)
def test_failures_become_messages_not_tracebacks(error: Exception, expected: str) -> None:
    handler = ChatHandler(lambda: BrokenChain(error), lambda: "x")  # type: ignore[arg-type,return-value]
    outputs = list(handler.respond("Who?", []))
    assert outputs[-1].startswith(expected)
    assert "Traceback" not in outputs[-1]


def test_as_of_reaches_the_filters(cache_dir: object) -> None:
    seen: list[Any] = []
    list(handler_for(["ok [1]"], seen).respond("Who?", [], "", "", ALL_SOURCES, "2024-03-26"))
    assert seen[0][1].as_of.isoformat() == "2024-03-26"


def test_an_unsupported_sentence_is_marked_and_a_quote_shown_under_its_citation(
    cache_dir: object,
) -> None:
    answer = "Sánchez agreed to accelerate a security agreement [2]. They also met in Paris [1]."
    final = list(handler_for([answer]).respond("Who?", []))[-1]
    assert final.startswith(
        "Sánchez agreed to accelerate a security agreement [1]. "
        "They also met in Paris _(not found in the sources)_."
    )
    assert "> “Zelenskyy and &lt;b&gt;Sánchez&lt;/b&gt; agreed to accelerate" in final
    assert "[2]" not in final


class FakeRuntime:
    """Stands in for a started chat model: its chain and its label."""

    def __init__(self, label: str, answer: str) -> None:
        self.backend = type("B", (), {"label": label, "kind": "embedded", "model": label})()
        self.chain = handler_for([answer]).qa()
        self.closed = False

    def current_qa(self) -> QAChain:
        return self.chain

    def close(self) -> None:
        self.closed = True


def test_the_chosen_model_answers_and_is_named_in_the_footer(settings: Any) -> None:
    from assistant.app.model_choice import ModelChoice

    default = FakeRuntime("embedded llama.cpp · qwen2.5-0.5b-instruct", "Sánchez agreed [1].")
    started: list[Any] = []

    def start(chosen: Any) -> Any:
        started.append(chosen)
        return FakeRuntime("embedded llama.cpp · qwen2.5-1.5b-instruct", "Sánchez agreed [1].")

    quiet = settings.model_copy(update={"ollama_url": ""})
    models = ModelChoice(quiet, default, start, ["qwen2.5-0.5b", "qwen2.5-1.5b"])  # type: ignore[arg-type]
    assert models.names() == ["qwen2.5-0.5b", "qwen2.5-1.5b"]
    handler = ChatHandler(default.current_qa, lambda: default.backend.label, models)  # type: ignore[arg-type]
    small = list(handler.respond("Who?", [], "", "", ALL_SOURCES, "", "qwen2.5-0.5b"))[-1]
    assert small.splitlines()[-1].startswith("_Answered by embedded llama.cpp · qwen2.5-0.5b-")
    assert started == []  # the default model is not started again
    outputs = list(handler.respond("Who?", [], "", "", ALL_SOURCES, "", "qwen2.5-1.5b"))
    assert "Starting qwen2.5-1.5b" in outputs[0]
    assert (
        outputs[-1].splitlines()[-1].startswith("_Answered by embedded llama.cpp · qwen2.5-1.5b-")
    )
    assert started[0].embedded_model == "qwen2.5-1.5b" and started[0].ollama_url == ""
    list(handler.respond("Who?", [], "", "", ALL_SOURCES, "", "qwen2.5-1.5b"))
    assert len(started) == 1  # started once, then shared
    models.close()
