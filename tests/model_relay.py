"""An OpenAI-compatible relay in front of a real model server that lets a test cut an
answer in the middle, whatever the speed of the machine.

It passes requests to the server and streams the reply back event by event until the first
event that carries words of the answer. Then it holds the rest (``answer_started`` is set)
until the test calls :meth:`ModelRelay.cut`, and drops the connection without ending the
body: the client has seen the start of an answer, and never its end. The test can kill the
server while the relay holds, so the kill lands mid-answer by construction, not because the
answer happened to be long enough.
"""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


def _carries_words(line: str) -> bool:
    """Whether an SSE line is a chunk with answer text in it."""
    if not line.startswith("data: ") or line == "data: [DONE]":
        return False
    try:
        chunk = json.loads(line[len("data: ") :])
    except ValueError:
        return False
    choices = chunk.get("choices") or [{}]
    return bool((choices[0].get("delta") or {}).get("content"))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ModelRelay

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        reply = httpx.get(self.server.upstream + self.path.removeprefix("/v1"), timeout=30)
        self._send(reply.status_code, reply.content, reply.headers.get("content-type", ""))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        url = self.server.upstream + self.path.removeprefix("/v1")
        headers = {"Content-Type": "application/json"}
        with httpx.stream("POST", url, content=body, headers=headers, timeout=None) as reply:
            if not json.loads(body or b"{}").get("stream"):
                content = reply.read()
                self._send(reply.status_code, content, reply.headers.get("content-type", ""))
                return
            self.send_response(reply.status_code)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for line in reply.iter_lines():
                self._chunk(line + "\n")
                if _carries_words(line):
                    self._chunk("\n")  # the end of this event: the client reads its words
                    self.server.answer_started.set()
                    self.server.cut_now.wait()
                    # Abruptly: no final chunk, no [DONE], the socket just goes away.
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
            self.wfile.write(b"0\r\n\r\n")

    def _send(self, status: int, content: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type or "application/json")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def _chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class ModelRelay(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.upstream = upstream.rstrip("/")  # the server's /v1 URL
        self.answer_started = threading.Event()
        self.cut_now = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, name="relay", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the server behind was killed on purpose: its errors are expected

    def cut(self) -> None:
        """Drop the held answer's connection."""
        self.cut_now.set()

    def __enter__(self) -> ModelRelay:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.cut()
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
