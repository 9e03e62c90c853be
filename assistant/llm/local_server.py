"""The embedded llama.cpp server: ``EmbeddedServer`` runs llama-cpp-python's
OpenAI-compatible server on a model file (the bundled one is assembled by
:mod:`assistant.llm.bundled`), on a free loopback port, for as long as the app runs.

Nothing here touches the disk, the network or a process at import time.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType

import httpx

from assistant.errors import ModelUnavailableError

log = logging.getLogger(__name__)

_PORT_ATTEMPTS = 3
# llama-cpp-python's server, run with its models loaded as last_token_server's.
SERVER_MODULE = "assistant.llm.last_token_server"
# The server serves the model under two names. The plain alias computes no per-token
# probabilities, which makes reading a prompt about a third faster (a ~1,400-token prompt:
# first token 6.4-7.0 s against 10.5 s on 2 cores). llama-cpp-python can give an answer's
# log-probabilities only with them on (logits_all), so the stance judge asks the same model
# under the alias with this suffix (where only each batch's last token's are computed, all
# that generated tokens' log-probabilities need: see last_token_server). Switching between
# the two reloads the model file from the page cache (about 0.3 s) and drops the cached
# prompt prefix.
LOGPROBS_SUFFIX = "+logprobs"


def logprobs_alias(alias: str) -> str:
    """The name under which the embedded server answers with log-probabilities."""
    return alias + LOGPROBS_SUFFIX


def free_port(host: str = "127.0.0.1", preferred: int | None = None) -> int:
    """``preferred`` if it can be bound right now, else a port the OS picks."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As uvicorn does: connections lingering in TIME_WAIT must not block a rebind.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((host, port))
            except OSError:
                continue
            return int(sock.getsockname()[1])
    raise ModelUnavailableError(f"No free port on {host} for the embedded model server.")


def _available_cpus() -> int:
    # sched_getaffinity honours container CPU pinning; cpu_count does not.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _tail(path: Path, lines: int = 20) -> str:
    try:
        with path.open("rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 16_384))
            text = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        if hasattr(os, "killpg"):
            os.killpg(process.pid, sig)  # the group id is the pid: start_new_session
        elif sig == signal.SIGTERM:  # pragma: no cover - Windows has no process groups
            process.terminate()
        else:  # pragma: no cover
            process.kill()


# Every server process started here and not yet stopped, for an exit that cannot wait.
_RUNNING: set[subprocess.Popen[bytes]] = set()


def kill_running_servers() -> None:
    """Kill every embedded server process group at once, without waiting: for an exit that
    must happen now (the app's deadline after SIGTERM)."""
    for process in list(_RUNNING):
        _signal_group(process, signal.SIGKILL)


def _terminate(process: subprocess.Popen[bytes], grace: float) -> None:
    _RUNNING.discard(process)
    if process.poll() is not None:
        return
    _signal_group(process, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        log.warning("The embedded model server ignored SIGTERM; killing it.")
        _signal_group(process, signal.SIGKILL)
        process.wait()


class EmbeddedServer:
    """llama-cpp-python's OpenAI-compatible server on a GGUF file, as a child process.

    The server keeps llama.cpp's default prompt-prefix reuse: consecutive requests sharing
    a prefix (the system prompt) skip re-evaluating it.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        alias: str,
        context: int,
        threads: int | None = None,
        log_dir: Path,
        host: str = "127.0.0.1",
        startup_timeout: float = 180.0,
        # A server busy streaming an answer may ignore SIGTERM; the app must be gone within
        # 5 s of its own SIGTERM, so the server's process group is killed soon after.
        stop_grace: float = 1.5,
        python: str = sys.executable,
    ) -> None:
        self.model_path = model_path
        self.alias = alias
        self.context = context
        # Settings say "unset means all cores"; the server's own default is half of them.
        self.threads = threads if threads is not None else _available_cpus()
        self.log_path = log_dir / "logs" / "embedded-server.log"
        self.host = host
        self.startup_timeout = startup_timeout
        self.stop_grace = stop_grace
        self.python = python
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        # Re-entrant: start() stops a failed process while holding it. Several UI threads may
        # call ensure_running() at once; only one restarts.
        self._lock = threading.RLock()

    # --- state ---

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    @property
    def base_url(self) -> str | None:
        """The OpenAI-compatible base URL while the server runs."""
        return self._url() if self.is_alive() else None

    def is_alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def config_path(self) -> Path:
        """The server's settings file; one per port, so two servers never share one."""
        return self.log_path.with_name(f"embedded-server-{self._port}.json")

    def config(self, port: int) -> dict[str, object]:
        """llama-cpp-python's config-file settings: the model under its alias, and again
        with log-probabilities on (see LOGPROBS_SUFFIX). The first is loaded at start."""

        def model(alias: str, logits_all: bool) -> dict[str, object]:
            return {
                "model": str(self.model_path),
                "model_alias": alias,
                "n_ctx": self.context,
                "n_threads": self.threads,
                "logits_all": logits_all,
            }

        return {
            "host": self.host,
            "port": port,
            "models": [model(self.alias, False), model(logprobs_alias(self.alias), True)],
        }

    def command(self) -> list[str]:
        # llama-cpp-python's server, loading its models so that log-probabilities cost only
        # the last prompt token's logits (see assistant.llm.last_token_server).
        return [
            self.python,
            "-m",
            SERVER_MODULE,
            "--config_file",
            str(self.config_path),
        ]

    # --- lifecycle ---

    def start(self) -> str:
        """Start the server and wait until it answers; return its base URL."""
        with self._lock:
            if self.is_alive():
                return self._url()
            self.stop()  # reap a dead process and drop its exit hook
            for attempt in range(1, _PORT_ATTEMPTS + 1):
                # A restart keeps the old port when it can, so clients holding the old URL
                # keep working.
                self._port = free_port(self.host, preferred=self._port)
                try:
                    return self._start_once()
                except ModelUnavailableError as exc:
                    # The port was free when picked but someone took it before the server
                    # bound it (after loading the model): pick another.
                    if attempt == _PORT_ATTEMPTS or "address already in use" not in str(exc):
                        raise
                    log.warning("Port %s was taken meanwhile; trying another.", self._port)
                    self._port = None
            raise AssertionError("unreachable")

    def _start_once(self) -> str:
        assert self._port is not None
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        if self.log_path.exists():
            # Keep the previous run's log: after a crash it says why.
            os.replace(self.log_path, self.log_path.with_name(self.log_path.name + ".1"))
        log.info("Starting the embedded model server (%s) on port %d", self.alias, self._port)
        self.config_path.write_text(json.dumps(self.config(self._port), indent=2), "utf-8")
        with self.log_path.open("wb") as log_file:
            # A file, not a pipe: nobody reads a pipe, and a full one would stall the server.
            # Its own session: a Ctrl-C in the terminal reaches only the app, which then stops
            # the server in order, and stop() can signal the server's whole process group.
            self._process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _RUNNING.add(self._process)
        atexit.register(self._at_exit)
        try:
            self._wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self._url()

    def _url(self) -> str:
        return f"http://{self.host}:{self._port}/v1"

    def ensure_running(self) -> str:
        """The base URL, restarting the server first if it died (it keeps no state to lose).

        The restarted server keeps its port unless another program took it meanwhile, so
        callers should still use the returned URL.
        """
        with self._lock:
            if self.is_alive():
                return self._url()
            if self._process is not None:
                log.warning(
                    "The embedded model server exited (code %s); restarting it. Log tail:\n%s",
                    self._process.returncode,
                    _tail(self.log_path),
                )
            return self.start()

    def stop(self) -> None:
        """Terminate the server (and anything it started); kill it after the grace period."""
        with self._lock:
            process, self._process = self._process, None
            if process is None:
                return
            atexit.unregister(self._at_exit)
            _terminate(process, self.stop_grace)
            self.config_path.unlink(missing_ok=True)

    def _at_exit(self) -> None:
        # Without the lock: a daemon thread may hold it mid-start, and exit must not wait.
        process = self._process
        if process is not None:
            _terminate(process, self.stop_grace)

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        url = f"http://{self.host}:{self._port}/v1/models"
        deadline = time.monotonic() + self.startup_timeout
        with httpx.Client(timeout=2.0) as client:
            while True:
                code = self._process.poll()
                if code is not None:
                    raise ModelUnavailableError(
                        f"The embedded model server exited during startup (code {code}). "
                        f"Last lines of {self.log_path}:\n{_tail(self.log_path)}"
                    )
                if self._answers(client, url):
                    log.info("The embedded model server is ready at %s", url)
                    return
                if time.monotonic() > deadline:
                    raise ModelUnavailableError(
                        f"The embedded model server did not answer within "
                        f"{self.startup_timeout:.0f} s. Last lines of {self.log_path}:\n"
                        f"{_tail(self.log_path)}"
                    )
                time.sleep(0.25)

    def _answers(self, client: httpx.Client, url: str) -> bool:
        try:
            response = client.get(url)
            ids = [entry.get("id") for entry in response.json().get("data", [])]
        except (httpx.TransportError, ValueError, AttributeError):
            return False  # not listening yet (the model is still loading), or not our server
        # Our alias, not just any answer: another program may have taken the port.
        return response.status_code == 200 and self.alias in ids

    # --- context manager ---

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
