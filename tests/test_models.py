"""Which chat model answers: against tiny local HTTP servers standing in for the real ones."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from langchain_openai import ChatOpenAI
from pydantic import SecretStr

from assistant.config import Settings
from assistant.errors import ModelUnavailableError
from assistant.llm.backends import Backend, discover_backend, make_chat_model
from assistant.llm.local_server import free_port

EMBEDDED = ("http://127.0.0.1:9/v1", "Qwen2.5-Coder-0.5B-Instruct")


class FakeServer:
    """Serves ``GET /v1/models`` listing ``models`` (or answers ``status``)."""

    def __init__(self, models: list[str], status: int = 200) -> None:
        self.models, self.status = models, status
        self.requests: list[tuple[str, str | None]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.requests.append((self.path, self.headers.get("Authorization")))
                ok = self.path == "/v1/models" and fake.status == 200
                body = {
                    "object": "list",
                    "data": [{"id": m, "object": "model"} for m in fake.models],
                }
                payload = json.dumps(body if ok else {"error": "no"}).encode()
                self.send_response(fake.status if self.path == "/v1/models" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        # A short poll interval: shutdown() waits for one.
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def serve() -> Iterator[Callable[..., FakeServer]]:
    servers: list[FakeServer] = []

    def start(models: list[str], status: int = 200) -> FakeServer:
        servers.append(FakeServer(models, status))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def nowhere() -> str:
    """A loopback URL nothing listens on."""
    return f"http://127.0.0.1:{free_port()}/v1"


class Embedded:
    """A stand-in for starting the embedded server that records whether it was called."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> tuple[str, str]:
        self.calls += 1
        return EMBEDDED


def configure(settings: Settings, **values: object) -> Settings:
    return settings.model_copy(update=values)


def test_configured_url_wins(settings: Settings, serve: Callable[..., FakeServer]) -> None:
    configured, ollama = serve(["big-model", "other"]), serve(["llama3.2:latest"])
    start = Embedded()
    s = configure(settings, llm_url=configured.url + "/", ollama_url=ollama.url, llm_api_key="k")
    backend = discover_backend(s, start)
    assert backend == Backend("configured", configured.url, "big-model")
    assert backend.label == f"{configured.url} · big-model"
    assert configured.requests == [("/v1/models", "Bearer k")]
    assert ollama.requests == [] and start.calls == 0


def test_configured_model_name_is_used(
    settings: Settings, serve: Callable[..., FakeServer]
) -> None:
    configured = serve(["big-model", "other"])
    s = configure(settings, llm_url=configured.url, llm_model="other")
    assert discover_backend(s, Embedded()).model == "other"


def test_configured_server_without_model_list_needs_a_name(
    settings: Settings, serve: Callable[..., FakeServer]
) -> None:
    configured = serve([], status=404)
    s = configure(settings, llm_url=configured.url)
    with pytest.raises(ModelUnavailableError, match="ASSISTANT_LLM_MODEL"):
        discover_backend(s, Embedded())
    named = configure(s, llm_model="mine")
    assert discover_backend(named, Embedded()) == Backend("configured", configured.url, "mine")


def test_unreachable_configured_url_is_an_error(
    settings: Settings, serve: Callable[..., FakeServer], nowhere: str
) -> None:
    ollama, start = serve(["llama3.2:latest"]), Embedded()
    s = configure(settings, llm_url=nowhere, ollama_url=ollama.url)
    with pytest.raises(ModelUnavailableError, match=r"ASSISTANT_LLM_URL=http://127\.0\.0\.1"):
        discover_backend(s, start)
    # A configured server was asked for: no silent fallback to another model.
    assert ollama.requests == [] and start.calls == 0


def test_ollama_used_when_it_answers(settings: Settings, serve: Callable[..., FakeServer]) -> None:
    ollama, start = serve(["qwen2.5:7b", "llama3.2:latest"]), Embedded()
    backend = discover_backend(configure(settings, ollama_url=ollama.url), start)
    assert backend == Backend("ollama", ollama.url, "qwen2.5:7b")
    assert backend.label == "Ollama · qwen2.5:7b"
    assert start.calls == 0


def test_ollama_model_matches_without_latest_tag(
    settings: Settings, serve: Callable[..., FakeServer]
) -> None:
    ollama = serve(["qwen2.5:7b", "llama3.2:latest"])
    backend = discover_backend(
        configure(settings, ollama_url=ollama.url, llm_model="llama3.2"), Embedded()
    )
    assert backend.model == "llama3.2:latest" and backend.label == "Ollama · llama3.2"


def test_ollama_unknown_model_falls_back_to_its_first(
    settings: Settings, serve: Callable[..., FakeServer]
) -> None:
    ollama = serve(["qwen2.5:7b"])
    s = configure(settings, ollama_url=ollama.url, llm_model="mistral")
    assert discover_backend(s, Embedded()).model == "qwen2.5:7b"


@pytest.mark.parametrize("models,status", [([], 200), (["x"], 500)])
def test_embedded_started_when_ollama_has_nothing(
    settings: Settings, serve: Callable[..., FakeServer], models: list[str], status: int
) -> None:
    ollama, start = serve(models, status), Embedded()
    backend = discover_backend(configure(settings, ollama_url=ollama.url), start)
    assert backend == Backend("embedded", *EMBEDDED, f"{EMBEDDED[1]}+logprobs")
    assert start.calls == 1
    assert backend.label == "embedded llama.cpp · Qwen2.5-Coder-0.5B-Instruct"


def test_embedded_started_when_nothing_answers(settings: Settings, nowhere: str) -> None:
    start = Embedded()
    backend = discover_backend(configure(settings, ollama_url=nowhere), start)
    assert backend.kind == "embedded" and start.calls == 1


def test_slow_ollama_is_not_waited_for(settings: Settings) -> None:
    def too_slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    seen: list[object] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return too_slow(request)

    client = httpx.Client(transport=httpx.MockTransport(record))
    start = Embedded()
    assert discover_backend(settings, start, client=client).kind == "embedded"
    assert seen == [0.5] and start.calls == 1


def test_chat_model_settings(settings: Settings) -> None:
    s = configure(settings, temperature=0.3, answer_tokens=77, request_timeout=9.0)
    llm = make_chat_model(Backend("embedded", *EMBEDDED), s)
    assert isinstance(llm, ChatOpenAI)
    assert (llm.openai_api_base, llm.model_name) == EMBEDDED
    assert (llm.temperature, llm.max_tokens, llm.request_timeout) == (0.3, 77, 9.0)
    assert llm.max_retries == 0 and llm.streaming
    assert isinstance(llm.openai_api_key, SecretStr)
    assert llm.openai_api_key.get_secret_value() == settings.llm_api_key
    # llama-cpp-python's server reads max_tokens; OpenAI's API reads max_completion_tokens.
    payload = llm._get_request_payload([("user", "hi")])
    assert payload["max_completion_tokens"] == 77 and payload["extra_body"] == {"max_tokens": 77}


def test_log_probabilities_are_asked_of_the_embedded_servers_second_name(
    settings: Settings,
) -> None:
    """The embedded server reads prompts faster without per-token probabilities and gives
    them under a second name; any other server gives them for the model itself."""
    embedded = discover_backend(configure(settings, llm_url=None, ollama_url=""), Embedded())
    judge = make_chat_model(embedded, settings, logprobs=True)
    assert isinstance(judge, ChatOpenAI)
    assert judge.model_name == f"{EMBEDDED[1]}+logprobs" != embedded.model
    assert make_chat_model(embedded, settings).model_name == EMBEDDED[1]
    assert Backend("ollama", "http://127.0.0.1:9/v1", "mistral").logprobs_model == "mistral"


def test_a_configured_server_listing_a_log_probabilities_name_is_asked_under_it(
    settings: Settings, serve: Callable[..., FakeServer]
) -> None:
    """ASSISTANT_LLM_URL pointed at another app's embedded server, say."""
    twice = serve(["small", "small+logprobs"])
    backend = discover_backend(configure(settings, llm_url=twice.url), Embedded())
    assert (backend.model, backend.logprobs_model) == ("small", "small+logprobs")
    once = serve(["small"])
    backend = discover_backend(configure(settings, llm_url=once.url), Embedded())
    assert backend.logprobs_model == "small"


def test_a_bundled_model_chosen_by_name_runs_embedded_even_when_ollama_answers(
    settings: Settings, serve: Callable[..., FakeServer]
) -> None:
    from assistant.llm.backends import settings_for_model

    ollama, start = serve(["llama3.2:latest"]), Embedded()
    chosen = settings_for_model(configure(settings, ollama_url=ollama.url), "qwen2.5-1.5b")
    assert chosen.embedded_model == "qwen2.5-1.5b"
    assert discover_backend(chosen, start).kind == "embedded" and start.calls == 1
    assert ollama.requests == []  # Ollama was not asked


def test_another_model_name_is_asked_of_ollama(
    settings: Settings, serve: Callable[..., FakeServer]
) -> None:
    from assistant.llm.backends import settings_for_model

    ollama = serve(["llama3.2:latest", "mistral:latest"])
    chosen = settings_for_model(configure(settings, ollama_url=ollama.url), "mistral")
    assert discover_backend(chosen, Embedded()).label == "Ollama · mistral"
