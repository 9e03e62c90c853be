"""A Chroma server as the store: connected with a version check and a time limit, and every
failure to reach it turned into one clear message naming ``ASSISTANT_CHROMA_URL``.

Chroma's HTTP client waits forever by default and raises transport errors from deep inside
its calls; here each call on the client and on its collections is guarded, so a server that
is down, goes down or answers too slowly stops the ingest or the question with
:class:`~assistant.errors.StoreUnavailableError`. Nothing is lost by that: every write is
idempotent and an article is only ``ready`` once all of its chunks are in, so the next
ingest finishes the job.
"""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import urlparse

import chromadb
import httpx

from assistant.errors import ConfigError, StoreUnavailableError

# The HTTP API this client speaks (Chroma 1.x servers); 0.x servers only have /api/v1.
SUPPORTED_MAJOR = 1
# Client methods whose result is a collection, which must be guarded in turn.
_COLLECTION_METHODS = frozenset({"get_or_create_collection", "get_collection", "create_collection"})


def unavailable(url: str, reason: str) -> StoreUnavailableError:
    return StoreUnavailableError(
        f"The Chroma server at {url} (ASSISTANT_CHROMA_URL) {reason}. Start it (chroma run "
        "--path DIR --port N) or correct ASSISTANT_CHROMA_URL, then try again: nothing "
        "stored is lost, and the next ingest finishes what this one left."
    )


def _describe(exc: Exception, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"did not answer within {timeout:g} s (ASSISTANT_CHROMA_TIMEOUT)"
    if isinstance(exc, httpx.ConnectError):
        return "does not answer"
    return f"failed: {exc}"


def check_server_version(url: str, timeout: float) -> str:
    """The server's version; an error naming the URL when it is down or of another API."""
    base = url.rstrip("/")
    try:
        response = httpx.get(f"{base}/api/v2/version", timeout=timeout)
        if response.status_code in (404, 410):
            old = httpx.get(f"{base}/api/v1/version", timeout=timeout)
            version = old.json() if old.is_success else "unknown (no /api/v2)"
        else:
            response.raise_for_status()
            version = str(response.json())
    except (httpx.HTTPError, ValueError) as exc:
        raise unavailable(url, _describe(exc, timeout)) from exc
    if not str(version).split(".")[0] == str(SUPPORTED_MAJOR):
        raise ConfigError(
            f"The Chroma server at {url} (ASSISTANT_CHROMA_URL) is version {version}; this "
            f"assistant needs a Chroma {SUPPORTED_MAJOR}.x server (chromadb "
            f"{chromadb.__version__} speaks its API v2). Run one with `chroma run --path DIR "
            f"--port N` from chromadb=={chromadb.__version__}, or point ASSISTANT_CHROMA_URL "
            "at one; the data of the old server is untouched."
        )
    return str(version)


def connect(url: str, timeout: float) -> Any:
    """A guarded client of the Chroma server at ``url``."""
    check_server_version(url, timeout)
    parsed = urlparse(url)
    try:
        client = chromadb.HttpClient(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or (443 if parsed.scheme == "https" else 8000),
            ssl=parsed.scheme == "https",
            settings=chromadb.Settings(anonymized_telemetry=False),
        )
    except (httpx.HTTPError, ValueError) as exc:
        raise unavailable(url, _describe(exc, timeout)) from exc
    # chromadb's client has no timeout setting and waits forever; a slow server must end
    # in a message instead. Its httpx session is the one place to set one.
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(timeout)
    return Guarded(client, url, timeout)


class Guarded:
    """Passes everything through to a Chroma client or collection; transport failures
    become :class:`StoreUnavailableError`, and collections it returns are guarded too."""

    def __init__(self, target: Any, url: str, timeout: float) -> None:
        self._target, self._url, self._timeout = target, url, timeout

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = attribute(*args, **kwargs)
            except httpx.HTTPError as exc:
                raise unavailable(self._url, _describe(exc, self._timeout)) from exc
            if name in _COLLECTION_METHODS:
                return Guarded(result, self._url, self._timeout)
            return result

        return call
