"""Faults of the model server, seen through the real app in a subprocess.

The app runs with ASSISTANT_LLM_URL at a scripted model server and a short
ASSISTANT_REQUEST_TIMEOUT; questions go through the ``/chat`` API as a browser's would.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.loadtest import AppProcess, app_env, ask, start_app
from devtools.scripted_model import ScriptedServer, closed_port_url

REQUEST_TIMEOUT = 3.0
QUESTION = "Who did Zelenskyy speak with? Reference {marker}"


@pytest.fixture(scope="module")
def model() -> Iterator[ScriptedServer]:
    with ScriptedServer(token_delay=0.02, slow_seconds=REQUEST_TIMEOUT + 7) as server:
        yield server


@pytest.fixture(scope="module")
def app(model: ScriptedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    folder = tmp_path_factory.mktemp("faults-app")
    running = start_app(folder, model.url, {"ASSISTANT_REQUEST_TIMEOUT": str(REQUEST_TIMEOUT)})
    yield running
    running.stop()


@pytest.fixture
def normal_afterwards(model: ScriptedServer) -> Iterator[None]:
    model.configure(mode="normal")
    yield
    model.configure(mode="normal")


def _answered(app: AppProcess, marker: str) -> None:
    """The app answers a normal question through the model."""
    output = ask(app.url, QUESTION.format(marker=marker), timeout=60)
    assert "⚠️" not in output, output
    assert f"Reference {marker} [1]." in output and "**Sources**" in output, output


def test_a_normal_question_is_answered(app: AppProcess, normal_afterwards: None) -> None:
    _answered(app, "mkfirst")


def test_a_slow_model_gives_the_timeout_message_in_time(
    app: AppProcess, model: ScriptedServer, normal_afterwards: None
) -> None:
    model.configure(mode="slow")
    started = time.monotonic()
    output = ask(app.url, QUESTION.format(marker="mkslow"), timeout=60)
    elapsed = time.monotonic() - started
    print(f"slow model: message after {elapsed:.2f} s")
    assert "⚠️" in output and "took too long" in output, output
    assert "Traceback" not in output
    assert elapsed < REQUEST_TIMEOUT + 2, f"the message took {elapsed:.2f} s"
    model.configure(mode="normal")
    _answered(app, "mkafterslow")


def test_a_model_dying_mid_stream_gives_a_message_then_recovers(
    app: AppProcess, model: ScriptedServer, normal_afterwards: None
) -> None:
    model.configure(mode="die_mid_stream", die_after=3)
    started = time.monotonic()
    output = ask(app.url, QUESTION.format(marker="mkdie"), timeout=60)
    elapsed = time.monotonic() - started
    print(f"model dying mid-stream: message after {elapsed:.2f} s")
    assert "⚠️" in output and "model server" in output, output
    assert "Traceback" not in output
    # What streamed before the drop is kept above the message.
    assert output.startswith("Answer for"), output
    model.configure(mode="normal")
    _answered(app, "mkafterdie")


def test_a_model_server_down_at_start_stops_the_app_with_a_clear_message(
    tmp_path: Path,
) -> None:
    url = closed_port_url()
    started = time.monotonic()
    finished = subprocess.run(
        [sys.executable, "-m", "assistant.app.cli", "serve"],
        cwd=tmp_path,
        env=app_env(tmp_path, url),
        capture_output=True,
        text=True,
        timeout=240,
    )
    print(f"model server down: exit {finished.returncode} after {time.monotonic() - started:.2f} s")
    assert finished.returncode != 0
    assert f"ASSISTANT_LLM_URL={url}" in finished.stderr, finished.stderr
    assert "does not answer" in finished.stderr
    assert "Traceback" not in finished.stderr + finished.stdout
    assert "Serving on" not in finished.stderr
