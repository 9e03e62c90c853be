"""A real Chroma server for tests and benchmarks: ``chroma run`` (shipped in the chromadb
wheel) on a free loopback port over a folder, started, awaited and stopped.

The same command serves a deployment (see the README's deployment section)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chroma_command() -> str:
    """The ``chroma`` executable beside this Python (the venv's), else on the PATH."""
    beside = Path(sys.executable).with_name("chroma")
    if beside.exists():
        return str(beside)
    found = shutil.which("chroma")
    if found is None:
        raise RuntimeError("The chroma command is missing: pip install chromadb")
    return found


class ChromaServer:
    """``chroma run --path FOLDER --port PORT --host 127.0.0.1``; ``stop`` and ``start``
    again keep the folder and the port, as a restarted server would."""

    def __init__(self, folder: Path, port: int | None = None, log: Path | None = None) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.log = log or folder.with_suffix(".log")
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, wait: float = 60.0) -> ChromaServer:
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    chroma_command(),
                    "run",
                    "--path",
                    str(self.folder),
                    "--port",
                    str(self.port),
                    "--host",
                    "127.0.0.1",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"chroma run exited; see {self.log}")
            try:
                if httpx.get(f"{self.url}/api/v2/heartbeat", timeout=1.0).is_success:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"chroma run did not answer within {wait:g} s; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.process = None

    def kill(self) -> None:
        """Gone at once, as a crashed server is."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=20)
        self.process = None

    def rss_mb(self) -> float:
        """Resident memory of the server process (Linux), NaN where it cannot be read."""
        if self.process is None:
            return float("nan")
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return float("nan")
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return float("nan")
