"""SIGTERM at any moment stops the app, and the model server it started, within 5 s: while
an answer streams, with more questions queued behind it. The app runs as in production, in
a subprocess; the questions go through the ``/chat`` API as a browser's would."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest

from assistant.llm.local_server import SERVER_MODULE
from devtools.loadtest import AppProcess, app_env, ask, launch_app, start_app, wait_until_up
from devtools.scripted_model import ScriptedServer

DEADLINE = 5.0
QUESTION = "Who did Zelenskyy speak with? Reference {marker}"


def ask_in_background(app: AppProcess, count: int) -> None:
    """Questions from ``count`` sessions at once, left running (their answers are never
    read: the app is stopped under them)."""
    for n in range(count):

        def one(marker: str = f"mk{n}") -> None:
            # The app is stopped under the question: any end of it is fine.
            with contextlib.suppress(Exception):
                ask(app.url, QUESTION.format(marker=marker), timeout=120)

        threading.Thread(target=one, daemon=True).start()


def gone(pid: int) -> bool:
    """The process has exited (a zombie awaiting its parent counts as exited)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state in ("Z", "X")


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def stop_and_time(app: AppProcess, others: list[int]) -> float:
    """Send SIGTERM; seconds until the app and ``others`` have all exited (or 30 s)."""
    started = time.monotonic()
    app.process.send_signal(signal.SIGTERM)
    while time.monotonic() - started < 30:
        if app.process.poll() is not None and all(gone(p) for p in others):
            break
        time.sleep(0.05)
    return time.monotonic() - started


def test_sigterm_while_answers_stream_stops_the_app_in_time(tmp_path: Path) -> None:
    # Slow tokens: each answer streams for tens of seconds; six sessions against a queue of
    # four workers leave two waiting.
    with ScriptedServer(token_delay=1.0) as model:
        app = start_app(tmp_path, model.url)
        try:
            ask_in_background(app, 6)
            deadline = time.monotonic() + 60
            while model.requests < 4 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert model.requests >= 4, app.log_tail()
            time.sleep(1.0)  # answers are streaming
            elapsed = stop_and_time(app, [])
        finally:
            app.stop()
    assert elapsed < DEADLINE, f"{elapsed:.1f} s after SIGTERM:\n{app.log_tail()}"


@pytest.mark.e2e
def test_sigterm_stops_the_app_and_its_embedded_server_in_time(tmp_path: Path) -> None:
    env = app_env(tmp_path, "")
    env.pop("ASSISTANT_LLM_URL")
    # Nothing answers here, so the app starts its embedded model server.
    env["ASSISTANT_OLLAMA_URL"] = "http://127.0.0.1:9/v1"
    app = launch_app(tmp_path, env)
    servers: list[int] = []
    try:
        wait_until_up(app)
        servers += [p for p in children(app.process.pid) if SERVER_MODULE in cmdline(p)]
        assert len(servers) == 1, app.log_tail()
        ask_in_background(app, 2)
        time.sleep(8.0)  # the prompt is read and the answer streams (about 200 tokens/s)
        elapsed = stop_and_time(app, servers)
        assert all(gone(p) for p in servers), "the embedded model server outlived the app"
    finally:
        app.stop()
        for pid in servers:
            if not gone(pid):
                os.killpg(pid, signal.SIGKILL)
    assert elapsed < DEADLINE, f"{elapsed:.1f} s after SIGTERM:\n{app.log_tail()}"


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""
