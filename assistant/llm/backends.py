"""Which chat model answers, and the LangChain chat model that talks to it.

Resolution order: the server the settings name (ASSISTANT_LLM_URL), else a local Ollama if it
answers at once, else the bundled model on the embedded llama.cpp server. Every one of them
speaks the OpenAI chat API, so one client class serves all three.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import httpx
from langchain_core.language_models import BaseChatModel
from pydantic import SecretStr

from assistant.config import Settings
from assistant.errors import ModelUnavailableError
from assistant.llm.local_server import logprobs_alias

log = logging.getLogger(__name__)

BackendKind = Literal["configured", "ollama", "embedded"]

# Ollama is optional: a machine without it must not wait long before the embedded model starts.
OLLAMA_PROBE_TIMEOUT = 0.5
# A configured server was asked for on purpose: give it time to answer (a busy GPU box).
CONFIGURED_PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class Backend:
    """Where the chat model lives: an OpenAI-compatible base URL and a model name."""

    kind: BackendKind
    base_url: str
    model: str
    # The name to ask when a reply's log-probabilities are read (the stance judge), when it
    # is not the model's own: the embedded server gives them only under a second name
    # (see assistant.llm.local_server), which a configured URL may point at too.
    logprobs_name: str | None = None

    @property
    def logprobs_model(self) -> str:
        return self.logprobs_name or self.model

    @property
    def label(self) -> str:
        """For people: the UI footer and the CLI say which model answered."""
        if self.kind == "embedded":
            return f"embedded llama.cpp · {self.model}"
        if self.kind == "ollama":
            return f"Ollama · {self.model.removesuffix(':latest')}"
        return f"{self.base_url} · {self.model}"


def discover_backend(
    settings: Settings,
    start_embedded: Callable[[], tuple[str, str]],
    *,
    client: httpx.Client | None = None,
) -> Backend:
    """Find the chat model to use; ``start_embedded`` runs only when nothing else answers.

    ``start_embedded`` returns the embedded server's (base URL, model alias). ``client`` is
    for tests; by default a short-lived one is made.
    """
    own_client = client is None
    http = client if client is not None else httpx.Client()
    try:
        if settings.llm_url:
            return _configured(settings, settings.llm_url.rstrip("/"), http)
        # An empty Ollama URL means: do not look for Ollama (a bundled model was chosen).
        ollama = (
            _ollama(settings, settings.ollama_url.rstrip("/"), http)
            if settings.ollama_url
            else None
        )
        if ollama is not None:
            return ollama
    finally:
        if own_client:
            http.close()
    base_url, alias = start_embedded()
    return Backend("embedded", base_url, alias, logprobs_alias(alias))


def _serving(kind: BackendKind, base_url: str, model: str, listed: list[str]) -> Backend:
    """The backend for ``model``, with its log-probabilities name if the server lists one."""
    with_logprobs = logprobs_alias(model)
    return Backend(kind, base_url, model, with_logprobs if with_logprobs in listed else None)


def list_models(
    http: httpx.Client, base_url: str, timeout: float, api_key: str | None = None
) -> list[str]:
    """Model ids from ``GET {base_url}/models``; raises httpx errors and ValueError."""
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    response = http.get(f"{base_url}/models", timeout=timeout, headers=headers)
    response.raise_for_status()
    data = response.json().get("data")
    if not isinstance(data, list):
        raise ValueError("the answer has no 'data' list")
    return [str(entry["id"]) for entry in data if isinstance(entry, dict) and "id" in entry]


def _configured(settings: Settings, base_url: str, http: httpx.Client) -> Backend:
    try:
        models = list_models(http, base_url, CONFIGURED_PROBE_TIMEOUT, settings.llm_api_key)
    except httpx.TransportError as exc:
        raise ModelUnavailableError(
            f"The chat server at ASSISTANT_LLM_URL={base_url} does not answer ({exc}). "
            "Start it, fix the URL, or unset ASSISTANT_LLM_URL to use Ollama or the "
            "embedded model."
        ) from exc
    except (httpx.HTTPStatusError, ValueError, AttributeError) as exc:
        # It answered, just not with a model list (some proxies have no /models): a named
        # model is enough to go on.
        if settings.llm_model:
            log.warning(
                "%s/models gave no model list (%s); using %s", base_url, exc, settings.llm_model
            )
            return Backend("configured", base_url, settings.llm_model)
        raise ModelUnavailableError(
            f"The chat server at ASSISTANT_LLM_URL={base_url} did not list its models ({exc}); "
            "set ASSISTANT_LLM_MODEL to the model name to use."
        ) from exc
    if settings.llm_model:
        return _serving("configured", base_url, settings.llm_model, models)
    if not models:
        raise ModelUnavailableError(
            f"The chat server at ASSISTANT_LLM_URL={base_url} lists no models; "
            "set ASSISTANT_LLM_MODEL to the model name to use."
        )
    return _serving("configured", base_url, models[0], models)


def _ollama(settings: Settings, base_url: str, http: httpx.Client) -> Backend | None:
    try:
        models = list_models(http, base_url, OLLAMA_PROBE_TIMEOUT)
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        log.debug("No Ollama at %s: %s", base_url, exc)
        return None
    if not models:
        log.info("Ollama at %s has no models pulled; using the embedded model.", base_url)
        return None
    wanted = settings.llm_model
    if wanted:
        # Ollama lists "llama3.2:latest" for a model pulled as "llama3.2".
        for name in models:
            if wanted in (name, name.removesuffix(":latest")):
                return Backend("ollama", base_url, name)
        log.warning("Ollama has no model %s; using %s.", wanted, models[0])
    return Backend("ollama", base_url, models[0])


def make_chat_model(
    backend: Backend, settings: Settings, *, logprobs: bool = False
) -> BaseChatModel:
    """A streaming OpenAI-compatible chat client for ``backend``; with ``logprobs``, one for
    the model name that gives log-probabilities (``Backend.logprobs_model``)."""
    # Imported here: commands that only ingest never load the OpenAI client.
    from langchain_openai import ChatOpenAI

    return ChatOpenAI(
        base_url=backend.base_url,
        api_key=SecretStr(settings.llm_api_key),
        model=backend.logprobs_model if logprobs else backend.model,
        temperature=settings.temperature,
        # langchain-openai sends this as max_completion_tokens, which llama-cpp-python's
        # server (0.3.x) and older Ollama ignore; they read max_tokens, so send both.
        max_tokens=settings.answer_tokens,
        extra_body={"max_tokens": settings.answer_tokens},
        timeout=settings.request_timeout,
        # The UI says at once that the model failed; silent retries would only add waiting.
        max_retries=0,
        streaming=True,
    )


def settings_for_model(settings: Settings, name: str | None) -> Settings:
    """Settings that make ``name`` answer: a bundled model runs on the embedded server
    (Ollama is not asked); any other name is asked of the configured server or Ollama."""
    from assistant.llm.bundled import BUNDLED_MODELS

    if not name:
        return settings
    if name in BUNDLED_MODELS:
        return settings.model_copy(
            update={"embedded_model": name, "llm_url": None, "ollama_url": ""}
        )
    return settings.model_copy(update={"llm_model": name})
