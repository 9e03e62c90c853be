"""Every setting of the assistant, in one typed class.

This is the only module that reads the environment: each field can be set with an
``ASSISTANT_<FIELD>`` variable or in a ``.env`` file. The README's settings table is kept in
step with this class by ``tests/test_docs.py``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_cache_dir() -> Path:
    return Path.home() / ".cache" / "newsroom-assistant"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", extra="ignore", protected_namespaces=()
    )

    # --- corpus and store -------------------------------------------------------------
    corpus_dir: Path = Field(
        PROJECT_ROOT / "seeds",
        description="Folder of articles ingested on start when the store is empty, and by "
        "`assistant ingest` when no path is given.",
    )
    vectorstore_dir: Path = Field(
        PROJECT_ROOT / "vectorstore",
        description="Folder of the persistent Chroma store (used when no Chroma URL is set).",
    )
    chroma_url: str | None = Field(
        None,
        description="URL of a Chroma server (e.g. http://127.0.0.1:8000); when set, the "
        "store lives there instead of in the vectorstore folder.",
    )
    chroma_timeout: float = Field(
        30.0,
        gt=0,
        description="Seconds to wait for the Chroma server (ASSISTANT_CHROMA_URL) to answer "
        "one request before giving up with a message.",
    )
    collection: str = Field("articles", description="Name of the Chroma collection.")
    feeds: Path | None = Field(
        None,
        description="File of RSS/Atom feed URLs, one a line, read on a schedule while the app "
        "runs and by `assistant watch`; the Feeds panel adds to it. Unset: feeds.txt in the "
        "vectorstore folder.",
    )
    feed_minutes: float = Field(30.0, gt=0, description="Minutes between two reads of each feed.")
    max_file_mb: float = Field(
        50.0, description="Files larger than this many megabytes are refused at ingest."
    )

    # --- chunking and embeddings ---------------------------------------------------------
    chunk_tokens: int = Field(
        200,
        ge=32,
        description="Size of a chunk in tiktoken (cl100k) tokens; kept under the embedding "
        "model's 256-token window.",
    )
    chunk_overlap: int = Field(30, ge=0, description="Tokens shared by consecutive chunks.")
    embeddings_url: str | None = Field(
        None,
        description="OpenAI-compatible server for embeddings (its /v1 URL); unset means the "
        "bundled offline all-MiniLM-L6-v2.",
    )
    embeddings_model: str = Field(
        "nomic-embed-text", description="Embedding model name used with the embeddings URL."
    )
    cache_dir: Path = Field(
        default_factory=_default_cache_dir,
        description="Where the assembled model files and tiktoken data are cached (outside "
        "the repository).",
    )

    # --- chat model ----------------------------------------------------------------------
    llm_url: str | None = Field(
        None,
        description="OpenAI-compatible chat server (its /v1 URL). Unset: Ollama if it "
        "answers, else the embedded llama.cpp server.",
    )
    llm_model: str | None = Field(
        None,
        description="Model name to ask the chat server for; unset means the server's first "
        "listed model.",
    )
    llm_api_key: str = Field("not-needed", description="API key sent to the chat server.")
    ollama_url: str = Field(
        "http://127.0.0.1:11434/v1", description="Where to look for Ollama when no URL is set."
    )
    embedded_model: Literal["qwen2.5-0.5b", "qwen2.5-1.5b"] = Field(
        "qwen2.5-0.5b", description="Bundled model the embedded server runs."
    )
    embedded_context: int = Field(
        4096, ge=512, description="Context window (tokens) of the embedded model server."
    )
    embedded_threads: int | None = Field(
        None, description="CPU threads of the embedded server; unset means all cores."
    )
    temperature: float = Field(0.1, ge=0.0, le=2.0, description="Sampling temperature.")
    answer_tokens: int = Field(
        400, ge=16, description="Most tokens the model may write in one answer."
    )
    request_timeout: float = Field(
        120.0, gt=0, description="Seconds to wait for the model server before giving up."
    )

    # --- retrieval and prompting ---------------------------------------------------------
    top_k: int = Field(6, ge=1, description="Passages retrieved for a question.")
    second_reading: bool = Field(
        True,
        description="Check an answer to a question that asks for one fact (who, which, "
        "where, how many) with a second, short reading of the same passages; when the two "
        "name different things, show the short answer if a passage sentence about the "
        "question names it, else say the articles do not settle it instead of answering.",
    )
    context_tokens: int = Field(
        700,
        ge=100,
        description="Token budget for retrieved passages in a prompt; sized so the embedded "
        "0.5B model starts answering within about 5 s on 2 cores.",
    )
    article_tokens: int = Field(
        70,
        ge=0,
        description="Tokens (at least) of each retrieved article's question-bearing sentences "
        "put in a question's prompt, so more articles fit the budget; more when few articles "
        "are found; 0 puts whole passages.",
    )
    min_relevance: float = Field(
        0.2,
        ge=-1.0,
        le=1.0,
        description="Passages less similar than this (cosine) to the question are not used; "
        "with none left the assistant says the articles do not cover it.",
    )
    prompts_dir: Path | None = Field(
        None,
        description="Folder of prompt template files to use instead of those shipped with "
        "the package (the project's `prompts/`).",
    )

    # --- web app -------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Interface the web app binds to.")
    port: int = Field(7860, description="Port of the web app.")
    auth: str | None = Field(
        None,
        description="Login for the web app as user:password, or several separated by "
        "commas (each sees only their own conversations); unset means no login (only "
        "safe on a loopback address).",
    )
    api_key: str | None = Field(
        None,
        description="Bearer token accepted by the OpenAI-compatible API (`/v1`) besides the "
        "ASSISTANT_AUTH login; with either set, the API refuses requests without one.",
    )


def feeds_file(settings: Settings) -> Path:
    return settings.feeds or settings.vectorstore_dir / "feeds.txt"


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """``ASSISTANT_AUTH`` ("user:password") as Gradio's (user, password); None when unset.

    The password may itself contain ':' (only the first one separates the two)."""
    if value is None or not value.strip():
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise ConfigError(
            "ASSISTANT_AUTH must be user:password (a user name, a colon, then a password)."
        )
    return user.strip(), password


def parse_logins(value: str | None) -> list[tuple[str, str]]:
    """``ASSISTANT_AUTH`` as every login it holds: one user:password, or several separated
    by commas ("ann:pw1,bob:pw2"). A value whose comma-separated parts are not all logins is
    one login whose password holds a comma."""
    single = parse_auth(value)
    if single is None:
        return []
    parts = [part.strip() for part in (value or "").split(",")]
    if len(parts) > 1 and all(
        ":" in part and part.partition(":")[0].strip() and part.partition(":")[2] for part in parts
    ):
        return [login for part in parts if (login := parse_auth(part)) is not None]
    return [single]


def is_loopback(host: str) -> bool:
    """Whether the web app would only be reachable from this machine."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
