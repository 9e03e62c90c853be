"""A scripted OpenAI-compatible chat server, for tests and ``assistant loadtest``.

It answers ``GET /v1/models`` with one model and ``POST /v1/chat/completions`` (streaming as
server-sent events, or not) with ``Answer for <question> [1].``, where ``<question>`` is taken
from the last user message (its ``Question:`` line when there is one), so a caller can tell
which request an answer belongs to. Modes, switchable while it runs (``server.mode = ...``, or
``POST /control`` with ``{"mode": ..., "token_delay": ..., "slow_seconds": ...}``):

- ``normal``: tokens one by one, ``token_delay`` seconds apart;
- ``slow``: holds the answer for ``slow_seconds`` before its first byte, or until
  :meth:`ScriptedServer.release` is called (a test decides when the model answers, so no
  timing of the machine can make the answer come early);
- ``die_mid_stream``: sends a few chunks, then drops the connection without ending the body.

``gather=N`` holds the first answers until N requests are in flight at once (or
``slow_seconds`` have passed), so a caller can see how many requests the client sends at
the same time; ``peak_in_flight`` records the most there ever were.

A server that is down is simply a closed port (:func:`closed_port_url`).
Nothing here leaves 127.0.0.1; only the standard library is used.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, cast

Mode = Literal["normal", "slow", "die_mid_stream"]
MODES: tuple[Mode, ...] = ("normal", "slow", "die_mid_stream")
MODEL_ID = "scripted-model"
_QUESTION = re.compile(r"^Question:\s*(.+)$", re.MULTILINE)


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # [{"type": "text", "text": ...}, ...]
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def question_of(messages: Any) -> str:
    """The question a chat request asks: the last user message's ``Question:`` line, or the
    whole last user message."""
    if not isinstance(messages, list):
        return ""
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            text = _content_text(message.get("content"))
            found = _QUESTION.findall(text)
            return (found[-1] if found else text).strip()
    return ""


def reply_for(question: str) -> str:
    return f"Answer for {question} [1]."


def split_tokens(text: str) -> list[str]:
    """Word-sized pieces that join back into ``text``."""
    return re.findall(r"\S+\s*|\s+", text)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # chunked bodies, so a dropped connection is detectable
    server: ScriptedServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: tests and the load test print their own summaries

    def _json(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        try:
            return json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            return None

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._json(200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]})
        else:
            self._json(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        body = self._body()
        if not isinstance(body, dict):
            self._json(400, {"error": {"message": "the body is not a JSON object"}})
            return
        if self.path.rstrip("/") == "/control":
            try:
                self.server.configure(**body)
            except (TypeError, ValueError) as exc:
                self._json(400, {"error": {"message": str(exc)}})
                return
            self._json(200, {"mode": self.server.mode})
            return
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}"}})
            return
        mode = self.server.mode
        with self.server.in_flight_request():
            if mode == "slow":
                self.server.hold()
            text = reply_for(question_of(body.get("messages")))
            if body.get("stream"):
                self._stream(text, mode)
            else:
                self._complete(text)

    def _complete(self, text: str) -> None:
        self._json(
            200,
            {
                "id": f"chatcmpl-{uuid.uuid4().hex}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            },
        )

    def _chunk(self, payload: str) -> None:
        data = payload.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _stream(self, text: str, mode: Mode) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        ident = f"chatcmpl-{uuid.uuid4().hex}"

        def event(delta: dict[str, Any], finish: str | None = None) -> str:
            chunk = {
                "id": ident,
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": MODEL_ID,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
            return f"data: {json.dumps(chunk)}\n\n"

        self._chunk(event({"role": "assistant", "content": ""}))
        for sent, token in enumerate(split_tokens(text)):
            if mode == "die_mid_stream" and sent == self.server.die_after:
                # Abruptly: no final chunk, no [DONE], the socket just goes away.
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            time.sleep(self.server.token_delay)
            self._chunk(event({"content": token}))
        self._chunk(event({}, "stop"))
        self._chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()


class ScriptedServer(ThreadingHTTPServer):
    """The server; :meth:`start` serves it on a daemon thread."""

    daemon_threads = True

    def __init__(
        self,
        port: int = 0,
        *,
        mode: Mode = "normal",
        token_delay: float = 0.01,
        slow_seconds: float = 30.0,
        die_after: int = 3,
        gather: int = 0,
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.mode: Mode = mode
        self.token_delay = token_delay
        self.slow_seconds = slow_seconds
        self.die_after = die_after
        self.gather = gather
        self._gathered = False
        self.requests = 0
        self.in_flight = 0
        self.peak_in_flight = 0
        self.held = 0  # slow answers being held right now
        self._releases = 0
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The OpenAI base URL (what ASSISTANT_LLM_URL takes)."""
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client that gave up (a timeout) while a slow answer was pending
        super().handle_error(request, client_address)

    @contextmanager
    def in_flight_request(self) -> Iterator[None]:
        """Count a chat request while it is served; with ``gather``, hold it until that
        many are in flight (or ``slow_seconds`` have passed)."""
        with self._lock:
            self.requests += 1
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            self._lock.notify_all()
            if self.gather and not self._gathered:
                self._lock.wait_for(
                    lambda: self.peak_in_flight >= self.gather, timeout=self.slow_seconds
                )
                self._gathered = True  # once, so a client that never gets there is not
                # held again on every request
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1
                self._lock.notify_all()

    def hold(self) -> None:
        """Hold a slow answer until :meth:`release` (or :meth:`stop`) or ``slow_seconds``."""
        with self._lock:
            self.held += 1
            self._lock.notify_all()
            releases = self._releases
            self._lock.wait_for(lambda: self._releases != releases, timeout=self.slow_seconds)
            self.held -= 1

    def wait_until_idle(self, timeout: float) -> bool:
        """Whether every request has been served (waiting at most ``timeout`` seconds).

        A client has its whole answer a moment before the handler that sent it returns."""
        with self._lock:
            return self._lock.wait_for(lambda: self.in_flight == 0, timeout=timeout)

    def wait_until_held(self, timeout: float) -> bool:
        """Whether a slow answer is being held (waiting at most ``timeout`` seconds)."""
        with self._lock:
            return self._lock.wait_for(lambda: self.held > 0, timeout=timeout)

    def release(self) -> None:
        """Let the slow answers held now go; later ones are held again."""
        with self._lock:
            self._releases += 1
            self._lock.notify_all()

    def configure(
        self,
        mode: str | None = None,
        token_delay: float | None = None,
        slow_seconds: float | None = None,
        die_after: int | None = None,
    ) -> None:
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"mode must be one of {', '.join(MODES)}")
            self.mode = cast(Mode, mode)
        if token_delay is not None:
            self.token_delay = float(token_delay)
        if slow_seconds is not None:
            self.slow_seconds = float(slow_seconds)
        if die_after is not None:
            self.die_after = int(die_after)

    def start(self) -> ScriptedServer:
        self._thread = threading.Thread(
            target=self.serve_forever, name="scripted-model", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()  # no held answer outlives the server
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def closed_port_url() -> str:
    """An OpenAI base URL on a 127.0.0.1 port nothing listens on: a model server that is down."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def main() -> None:
    """``python -m devtools.scripted_model [--port N] [--mode M] [--token-delay S]``."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--mode", choices=MODES, default="normal")
    parser.add_argument("--token-delay", type=float, default=0.01)
    parser.add_argument("--slow-seconds", type=float, default=30.0)
    args = parser.parse_args()
    server = ScriptedServer(
        args.port, mode=args.mode, token_delay=args.token_delay, slow_seconds=args.slow_seconds
    )
    print(f"Scripted model server on {server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
