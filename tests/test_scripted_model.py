"""The scripted OpenAI-compatible server behaves like one, and its faults are real faults."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from assistant.answer.model_errors import model_errors
from assistant.config import Settings
from assistant.errors import ModelUnavailableError
from assistant.llm.backends import Backend, make_chat_model
from devtools.scripted_model import (
    MODEL_ID,
    ScriptedServer,
    closed_port_url,
    question_of,
    split_tokens,
)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer(token_delay=0.0, slow_seconds=5.0) as running:
        yield running


def _model(server: ScriptedServer, timeout: float = 2.0):  # type: ignore[no-untyped-def]
    settings = Settings(_env_file=None, request_timeout=timeout)  # type: ignore[call-arg]
    return make_chat_model(Backend("configured", server.url, MODEL_ID), settings)


def test_lists_one_model(server: ScriptedServer) -> None:
    data = httpx.get(server.url + "/models", timeout=5).json()["data"]
    assert [m["id"] for m in data] == [MODEL_ID]


def test_question_is_taken_from_the_last_user_message() -> None:
    messages = [
        {"role": "system", "content": "Question: not this one"},
        {"role": "user", "content": "old"},
        {"role": "assistant", "content": "Question: nor this"},
        {"role": "user", "content": "Today.\n<passage>x</passage>\nQuestion: who? m1\nAnswer."},
    ]
    assert question_of(messages) == "who? m1"
    assert question_of([{"role": "user", "content": "plain text"}]) == "plain text"
    assert "".join(split_tokens("Answer for a  b [1].")) == "Answer for a  b [1]."


def test_streams_and_answers_without_streaming(server: ScriptedServer) -> None:
    model = _model(server)
    pieces = [c.content for c in model.stream("x\nQuestion: where is mk42?\nAnswer.")]
    assert len([p for p in pieces if p]) > 3
    assert "".join(map(str, pieces)) == "Answer for where is mk42? [1]."
    response = httpx.post(
        server.url + "/chat/completions",
        json={"model": MODEL_ID, "messages": [{"role": "user", "content": "Question: q7"}]},
        timeout=5,
    )
    assert response.json()["choices"][0]["message"]["content"] == "Answer for q7 [1]."


def test_sse_ends_with_done(server: ScriptedServer) -> None:
    body = {"model": MODEL_ID, "stream": True, "messages": [{"role": "user", "content": "hi"}]}
    with httpx.stream("POST", server.url + "/chat/completions", json=body, timeout=5) as r:
        lines = [line for line in r.iter_lines() if line]
    assert lines[-1] == "data: [DONE]"
    assert all(line.startswith("data: ") for line in lines)


def test_slow_mode_times_out_at_the_request_timeout(server: ScriptedServer) -> None:
    server.configure(mode="slow")
    started = time.monotonic()
    with pytest.raises(ModelUnavailableError, match="too long"), model_errors():
        list(_model(server, timeout=1.0).stream("Question: q"))
    assert time.monotonic() - started < 3.0


def _ask_in_background(server: ScriptedServer, question: str) -> tuple[threading.Thread, list[str]]:
    answers: list[str] = []
    body = {"model": MODEL_ID, "messages": [{"role": "user", "content": question}]}

    def ask() -> None:
        reply = httpx.post(server.url + "/chat/completions", json=body, timeout=30)
        answers.append(reply.json()["choices"][0]["message"]["content"])

    thread = threading.Thread(target=ask)
    thread.start()
    return thread, answers


def test_a_slow_answer_is_held_until_released(server: ScriptedServer) -> None:
    server.configure(mode="slow", slow_seconds=60)
    thread, answers = _ask_in_background(server, "q1")
    assert server.wait_until_held(timeout=10) and server.held == 1
    thread.join(timeout=0.5)
    assert thread.is_alive() and answers == []  # still held
    server.release()
    thread.join(timeout=10)
    assert answers == ["Answer for q1 [1]."] and server.held == 0


def test_gather_holds_answers_until_that_many_are_in_flight() -> None:
    with ScriptedServer(token_delay=0.0, slow_seconds=30, gather=3) as server:
        first = [_ask_in_background(server, f"q{n}") for n in range(2)]
        for thread, answers in first:
            thread.join(timeout=0.5)
            assert thread.is_alive() and answers == []  # two of three: still held
        last = _ask_in_background(server, "q2")
        for thread, answers in [*first, last]:
            thread.join(timeout=10)
            assert len(answers) == 1
        assert server.peak_in_flight == 3 and server.wait_until_idle(timeout=10)


def test_dying_mid_stream_is_an_error_not_a_short_answer(server: ScriptedServer) -> None:
    server.configure(mode="die_mid_stream", die_after=2)
    with pytest.raises(ModelUnavailableError), model_errors():
        list(_model(server).stream("Question: q"))


def test_control_endpoint_switches_mode(server: ScriptedServer) -> None:
    assert httpx.post(server.url[:-3] + "/control", json={"mode": "slow"}).json() == {
        "mode": "slow"
    }
    assert server.mode == "slow"
    assert httpx.post(server.url[:-3] + "/control", json={"mode": "nope"}).status_code == 400


def test_closed_port_is_down() -> None:
    with pytest.raises(httpx.ConnectError):
        httpx.get(closed_port_url() + "/models", timeout=2)
