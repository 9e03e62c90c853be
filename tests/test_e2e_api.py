"""The OpenAI-compatible API, end to end: the real app (page and API on one server) over the
seed article and the real embedded model, spoken to with the official ``openai`` client."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import openai
import pytest

from assistant.app.compose import ChatRuntime, Services
from assistant.app.web.server import build_app, launch
from assistant.llm.local_server import free_port

pytestmark = pytest.mark.e2e

SEED_PUBLISHED = "2024-03-25"
API_KEY = "test-api-key"
LOGIN = ("editor", "s3cret")
QUESTION = "Who did Zelenskyy speak with?"
AS_OF = {"as_of": "2024-03-26"}


@pytest.fixture(scope="module")
def app_url(seed_runtime: tuple[Services, ChatRuntime]) -> Iterator[str]:
    services, chat = seed_runtime
    port = free_port()
    settings = services.settings.model_copy(
        update={"host": "127.0.0.1", "port": port, "auth": ":".join(LOGIN), "api_key": API_KEY}
    )
    app = build_app(services, chat)
    launch(app, settings)
    yield f"http://127.0.0.1:{port}"
    app.close()


@pytest.fixture
def client(app_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=app_url + "/v1", api_key=API_KEY, max_retries=0, timeout=600)


def test_a_streamed_answer_cites_the_seed_article(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="newsroom",
        messages=[{"role": "user", "content": QUESTION}],
        stream=True,
        extra_body=AS_OF,
    )
    chunks = list(stream)
    # Server-sent events: the role first, the checked text sentence by sentence, then the
    # end of the reply with its citations.
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    pieces = [c.choices[0].delta.content for c in chunks if c.choices[0].delta.content]
    citations = (chunks[-1].model_extra or {}).get("citations")
    text = "".join(pieces)
    assert pieces and len(chunks) >= 3, chunks
    assert "Sánchez" in text or "Sanchez" in text, text
    assert citations, text
    for cited in citations:
        assert f"[{cited['number']}]" in text, (text, citations)
        assert cited["date"] == SEED_PUBLISHED and cited["title"] and cited["quote"], cited
        assert cited["quote"].split()[0] in cited["quote"]  # a quote, not an empty string
        assert {"source", "url"} <= cited.keys()


def test_a_follow_up_is_rewritten_from_the_conversation(
    client: openai.OpenAI, caplog: pytest.LogCaptureFixture
) -> None:
    first = client.chat.completions.create(
        model="newsroom", messages=[{"role": "user", "content": QUESTION}], extra_body=AS_OF
    )
    answer = first.choices[0].message.content or ""
    assert first.model_extra and first.model_extra["citations"], answer
    with caplog.at_level(logging.INFO, logger="assistant.answer.qa"):
        second = client.chat.completions.create(
            model="newsroom",
            messages=[
                {"role": "system", "content": "You are a helpful assistant."},
                {"role": "user", "content": QUESTION},
                {"role": "assistant", "content": answer},
                {"role": "user", "content": "What else did they discuss?"},
            ],
            extra_body=AS_OF,
        )
    rewrites = [r.getMessage() for r in caplog.records if "rewritten as" in r.getMessage()]
    assert rewrites and "What else did they discuss?" in rewrites[0], caplog.text
    text = second.choices[0].message.content or ""
    assert text.strip(), second
    citations = (second.model_extra or {}).get("citations", [])
    assert all(c["date"] == SEED_PUBLISHED for c in citations), citations


def test_the_models_are_listed(client: openai.OpenAI) -> None:
    names = {model.id for model in client.models.list()}
    assert names == {"newsroom", "newsroom-summarize", "newsroom-factcheck"}


def test_a_wrong_key_is_refused_with_401(app_url: str) -> None:
    wrong = openai.OpenAI(base_url=app_url + "/v1", api_key="not-the-key", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        wrong.chat.completions.create(
            model="newsroom", messages=[{"role": "user", "content": QUESTION}]
        )
    assert info.value.status_code == 401
    assert "ASSISTANT_API_KEY" in info.value.message
    assert httpx.get(app_url + "/v1/models").status_code == 401  # no login at all
    assert httpx.get(app_url + "/v1/models", auth=("editor", "wrong")).status_code == 401


def test_the_page_login_works_as_http_basic(app_url: str) -> None:
    reply = httpx.get(app_url + "/v1/models", auth=LOGIN)
    assert reply.status_code == 200 and len(reply.json()["data"]) == 3


def test_a_malformed_request_gets_400_naming_the_field(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="newsroom",
            messages=[{"role": "narrator", "content": QUESTION}],  # type: ignore[misc,list-item]
        )
    assert info.value.status_code == 400
    assert isinstance(info.value.body, dict) and info.value.body["param"] == "messages.0.role"
    assert "messages.0.role" in info.value.message
    with pytest.raises(openai.BadRequestError) as unknown:
        client.chat.completions.create(
            model="gpt-4", messages=[{"role": "user", "content": QUESTION}]
        )
    assert "'model'" in unknown.value.message and "newsroom" in unknown.value.message
    with pytest.raises(openai.BadRequestError) as bad_date:
        client.chat.completions.create(
            model="newsroom",
            messages=[{"role": "user", "content": QUESTION}],
            extra_body={"as_of": "last Tuesday"},
        )
    assert "'as_of'" in bad_date.value.message


def test_a_missing_field_is_named(app_url: str) -> None:
    reply = httpx.post(
        app_url + "/v1/chat/completions",
        json={"model": "newsroom"},
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    assert reply.status_code == 400
    assert reply.json()["error"]["param"] == "messages", reply.text
