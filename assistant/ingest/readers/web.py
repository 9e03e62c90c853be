"""Articles from a URL: a news page, a feed or plain text, told apart by content type.

Only http and https are fetched (a ``file:`` or ``ftp:`` URL is refused: files are given as
paths, and nothing else is needed). Each fetch has a timeout and a size cap, read as a
stream so an endless or huge response is cut off without being held in memory.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import httpx

from assistant.errors import LoadError
from assistant.ingest.readers.base import LoadResult, decode, record_to_article
from assistant.ingest.readers.formats import MAX_HTML_BYTES

FETCH_TIMEOUT_S = 20.0
_URL_LIKE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:(//|[^\\])")
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/xml", "text/xml"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_USER_AGENT = "newsroom-assistant/0.1 (+offline article ingest)"


def looks_like_url(source: str) -> bool:
    """True for ``scheme:...`` arguments (a Windows drive ``C:\\`` is a path)."""
    return bool(_URL_LIKE.match(source)) and not re.match(r"^[A-Za-z]:[\\/]", source)


def check_url(url: str) -> None:
    """Raise LoadError unless the URL can be fetched: http or https with a host."""
    parsed = urlparse(url)
    if parsed.scheme.lower() not in ("http", "https"):
        raise LoadError(
            url,
            f"uses the '{parsed.scheme}:' scheme; only http:// and https:// URLs are fetched "
            "(give local files as paths)",
        )
    if not parsed.hostname:
        raise LoadError(url, "has no host name")


def load_url(url: str, max_bytes: int, timeout: float = FETCH_TIMEOUT_S) -> LoadResult:
    """Fetch one URL; every problem is reported in the result, never raised."""
    result = LoadResult()
    try:
        raw, content_type, charset, final_url = _fetch(url, max_bytes, timeout)
        _parse(result, raw, content_type, charset, url, final_url)
    except LoadError as exc:
        result.problems.append(exc)
    if result.problems:
        result.failed_origins.add(url)
    return result


def _parse(
    result: LoadResult, raw: bytes, content_type: str, charset: str | None, url: str, final: str
) -> None:
    # Imported here: the parsers are slow to import and most runs fetch no URL.
    from assistant.ingest.readers.feeds import load_feed
    from assistant.ingest.readers.html import load_html
    from assistant.ingest.readers.pdf import load_pdf

    if not raw.strip():
        raise LoadError(url, "answered with an empty page")
    if content_type in _HTML_TYPES:
        result.articles.append(load_html(raw, url, url, url=final))
    elif content_type in _FEED_TYPES or content_type.endswith(("+xml", "/rss")):
        result.extend(load_feed(raw, url, url))
    elif content_type == "application/pdf":
        result.articles.append(load_pdf(raw, url, url))
    elif content_type == "text/plain":
        text = _text(raw, charset, url, result)
        try:
            result.articles.append(record_to_article({"text": text, "url": final}, url, "0"))
        except ValueError as exc:
            raise LoadError(url, str(exc)) from exc
    else:
        raise LoadError(
            url, f"answered with '{content_type or 'no content type'}', not a page, feed or text"
        )


def _text(raw: bytes, charset: str | None, url: str, result: LoadResult) -> str:
    if charset:
        try:
            return raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass  # a wrong charset header is common; fall back to detection below
    text, warning = decode(raw, url)
    if warning:
        result.problems.append(warning)
    return text


def _fetch(url: str, max_bytes: int, timeout: float) -> tuple[bytes, str, str | None, str]:
    check_url(url)
    # HTML is capped lower than other files: parse time grows with page size.
    limit = max_bytes
    try:
        with (
            httpx.Client(
                timeout=timeout, follow_redirects=True, headers={"User-Agent": _USER_AGENT}
            ) as client,
            client.stream("GET", url) as response,
        ):
            # A redirect may not leave http(s) either.
            check_url(str(response.url))
            if response.status_code >= 400:
                raise LoadError(url, f"answered HTTP {response.status_code}")
            content_type = response.headers.get("content-type", "")
            mime = content_type.split(";")[0].strip().lower()
            if mime in _HTML_TYPES:
                limit = min(max_bytes, MAX_HTML_BYTES)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise _too_big(url, int(declared), limit)
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise _too_big(url, size, limit)
                chunks.append(chunk)
            return b"".join(chunks), mime, response.charset_encoding, str(response.url)
    except httpx.HTTPError as exc:
        raise LoadError(url, f"could not be fetched ({type(exc).__name__}: {exc})") from exc


def _too_big(url: str, size: int, limit: int) -> LoadError:
    return LoadError(
        url,
        f"is over the {limit / 1e6:.1f} MB limit (at least {size / 1e6:.1f} MB); "
        "raise ASSISTANT_MAX_FILE_MB for files that large",
    )
