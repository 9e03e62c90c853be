"""``assistant loadtest``: many chat sessions at once against the real app, over a scripted model.

The app runs as it does in production (``python -m assistant.app.cli serve`` in a subprocess, on a
free 127.0.0.1 port, over a store in a temporary folder filled from the seed corpus) with
ASSISTANT_LLM_URL at a :class:`~devtools.scripted_model.ScriptedServer` started here. Each
session asks its own question carrying a unique marker word; the scripted model echoes the
question, so an answer that lacks its own marker, or carries another session's, is cross-talk.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from assistant.config import PROJECT_ROOT
from assistant.llm.local_server import free_port
from devtools.scripted_model import MODEL_ID, ScriptedServer
from devtools.stats import percentile

START_TIMEOUT = 240.0  # loading the embedding model and ingesting the seed corpus
MAX_SESSIONS = 200
# How a session talks to the app: the page's own chat endpoint, or the OpenAI-compatible API.
PATHS = ("page", "api")
QUESTIONS = (
    "Who did Zelenskyy speak with? Reference {marker}",
    "What did Zelenskyy and Sánchez discuss? Reference {marker}",
)


@dataclass
class AppProcess:
    """The app in a subprocess; its output goes to ``log``."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")[-chars:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # the app exits normally on SIGTERM
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def app_env(folder: Path, llm_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of an app over ``folder``/store, talking to ``llm_url``; the caller's
    own ASSISTANT_* variables are left out, and so is a .env file (the app runs in
    ``folder``)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(
        ASSISTANT_HOST="127.0.0.1",
        ASSISTANT_PORT=str(free_port()),
        ASSISTANT_VECTORSTORE_DIR=str(folder / "store"),
        ASSISTANT_CORPUS_DIR=str(PROJECT_ROOT / "seeds"),
        ASSISTANT_LLM_URL=llm_url,
        GRADIO_ANALYTICS_ENABLED="False",
        PYTHONPATH=str(PROJECT_ROOT),
    )
    env.update(extra or {})
    return env


def launch_app(folder: Path, env: dict[str, str], log_name: str = "app.log") -> AppProcess:
    """Start ``python -m assistant.app.cli serve`` with ``env`` (see :func:`app_env`); do not
    wait."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / log_name
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "assistant.app.cli", "serve"],
            cwd=folder,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return AppProcess(f"http://127.0.0.1:{env['ASSISTANT_PORT']}", process, log)


def wait_until_up(app: AppProcess, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"the app exited with {app.process.returncode}:\n{app.log_tail()}")
        try:
            if httpx.get(app.url + "/", timeout=2).status_code in (200, 401):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    app.stop()
    raise RuntimeError(f"the app did not answer within {timeout:.0f} s:\n{app.log_tail()}")


def start_app(folder: Path, llm_url: str, extra: dict[str, str] | None = None) -> AppProcess:
    """Start the app and return once its page answers."""
    app = launch_app(folder, app_env(folder, llm_url, extra))
    wait_until_up(app)
    return app


def ask_api(url: str, question: str, timeout: float) -> str:
    """One chat session through the OpenAI-compatible API, streamed, with the official
    client; the text it was sent."""
    import openai

    client = openai.OpenAI(base_url=url + "/v1", api_key="unused", timeout=timeout, max_retries=0)
    try:
        stream = client.chat.completions.create(
            model="newsroom", messages=[{"role": "user", "content": question}], stream=True
        )
        return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    finally:
        client.close()


def ask(url: str, question: str, timeout: float) -> str:
    """One chat session's final output through the app's ``/chat`` API."""
    from gradio_client import Client

    client = Client(url, verbose=False, analytics_enabled=False, download_files=False)
    try:
        # since, until, source, as of, model, story: the Ask tab's fields, left at defaults.
        job = client.submit(question, "", "", "All sources", "", MODEL_ID, "", api_name="/chat")
        return str(job.result(timeout=timeout))
    finally:
        client.close()


@dataclass
class Session:
    marker: str
    question: str
    output: str = ""
    error: str = ""
    latency: float = 0.0
    cross_talk: bool = False


@dataclass
class LoadtestResult:
    sessions: int
    completed: int
    errors: int
    cross_talk: int
    p50: float
    p95: float
    wall: float
    through: str = "page"  # see PATHS
    model_requests: int = 0  # chat requests the scripted model served
    model_peak_concurrency: int = 0  # the most chat requests the model had at once
    details: list[Session] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.errors == 0 and self.cross_talk == 0 and self.completed == self.sessions

    def as_dict(self, with_details: bool = False) -> dict[str, Any]:
        data = asdict(self)
        if not with_details:
            data.pop("details")
        data["ok"] = self.ok
        return data


def make_sessions(count: int) -> list[Session]:
    sessions = []
    for i in range(count):
        marker = f"mk{secrets.token_hex(4)}"
        sessions.append(Session(marker, QUESTIONS[i % len(QUESTIONS)].format(marker=marker)))
    return sessions


def judge(sessions: list[Session]) -> None:
    """Mark answers that lack their own marker or carry another session's."""
    markers = {s.marker for s in sessions}
    for s in sessions:
        if s.error:
            continue
        others = {m for m in markers - {s.marker} if m in s.output}
        if s.marker not in s.output or others:
            s.cross_talk = True


def run_sessions(url: str, count: int, timeout: float, through: str = "page") -> LoadtestResult:
    """``count`` simultaneous sessions; each gets ``timeout`` seconds, and so does the lot."""
    sessions = make_sessions(count)
    asking = ask_api if through == "api" else ask

    def one(s: Session) -> None:
        started = time.monotonic()
        try:
            s.output = asking(url, s.question, timeout)
            if "⚠️" in s.output:
                s.error = s.output.split("⚠️", 1)[1].strip()[:300]
        except Exception as exc:  # every failure is counted, none stops the others
            s.error = f"{type(exc).__name__}: {exc}"[:300]
        s.latency = time.monotonic() - started

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(one, s) for s in sessions]
        for future in futures:
            # each session is bounded by its own timeout; this only guards the pool itself
            future.result(timeout=timeout + 60)
    wall = time.monotonic() - started
    judge(sessions)
    done = [s for s in sessions if not s.error]
    latencies = [s.latency for s in done]
    return LoadtestResult(
        sessions=count,
        completed=len(done),
        errors=sum(1 for s in sessions if s.error),
        cross_talk=sum(1 for s in sessions if s.cross_talk),
        p50=statistics.median(latencies) if latencies else float("nan"),
        p95=percentile(latencies, 95),
        wall=wall,
        through=through,
        details=sessions,
    )


def format_result(result: LoadtestResult) -> str:
    lines = [
        f"Through:             {result.through}",
        f"Sessions:            {result.sessions}",
        f"Requests completed:  {result.completed}",
        f"Errors:              {result.errors}",
        f"Cross-talk:          {result.cross_talk}",
        f"Latency p50:         {result.p50:.2f} s",
        f"Latency p95:         {result.p95:.2f} s",
        f"Wall time:           {result.wall:.2f} s",
        f"Model requests:      {result.model_requests}",
        f"Model peak at once:  {result.model_peak_concurrency}",
    ]
    for s in result.details:
        if s.error:
            lines.append(f"  error [{s.marker}]: {s.error}")
        elif s.cross_talk:
            lines.append(f"  cross-talk [{s.marker}]: {s.output[:200]!r}")
    return "\n".join(lines)


def run_loadtest(
    sessions: int = 20,
    timeout: float = 120.0,
    token_delay: float = 0.02,
    extra_env: dict[str, str] | None = None,
    progress: Any = None,
    gather: int = 0,
) -> LoadtestResult:
    """Start a scripted model and the app, run the sessions through the page, stop both.

    With ``gather``, the model holds its answers until that many requests are in flight
    (or ``timeout`` has passed): the peak then shows how many chats the app serves at once.
    """
    [result] = run_loadtests(sessions, timeout, token_delay, extra_env, progress, gather)
    return result


def run_loadtests(
    sessions: int = 20,
    timeout: float = 120.0,
    token_delay: float = 0.02,
    extra_env: dict[str, str] | None = None,
    progress: Any = None,
    gather: int = 0,
    through: tuple[str, ...] = ("page",),
) -> list[LoadtestResult]:
    """As :func:`run_loadtest`, once for each path of ``through``, one after the other
    against the same app and scripted model."""
    if not 1 <= sessions <= MAX_SESSIONS:
        raise ValueError(f"sessions must be between 1 and {MAX_SESSIONS}")
    say = progress or (lambda _line: None)
    with tempfile.TemporaryDirectory(prefix="assistant-loadtest-") as tmp:
        folder = Path(tmp)
        # Gathered answers wait a quarter of a session's time at most, so a client that never
        # sends that many at once still gets its answers, and the peak shows it.
        with ScriptedServer(
            token_delay=token_delay, gather=gather, slow_seconds=timeout / 4
        ) as model:
            say(f"Scripted model on {model.url}; starting the app …")
            started = time.monotonic()
            app = start_app(folder, model.url, extra_env)
            try:
                say(f"App up on {app.url} in {time.monotonic() - started:.1f} s")
                results = []
                for path in through:
                    before = model.requests
                    model.peak_in_flight = 0
                    result = run_sessions(app.url, sessions, timeout, path)
                    result.model_requests = model.requests - before
                    result.model_peak_concurrency = model.peak_in_flight
                    results.append(result)
                return results
            finally:
                app.stop()


def main_json(result: LoadtestResult) -> str:
    return json.dumps(result.as_dict(with_details=False), indent=2)
