"""The API's parts without a server: requests read and checked, the login, and the answer
streamed with its citations checked sentence by sentence."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest

from assistant.answer.attribution import attribute
from assistant.app.api.live_citations import CheckedStream
from assistant.app.api.login import API_KEY_USER, ApiLogin
from assistant.app.api.schema import ApiError, parse_request
from assistant.types import Passage


def _body(**fields: object) -> bytes:
    return json.dumps(fields).encode()


QUESTION = [{"role": "user", "content": "Who did Zelenskyy speak with?"}]


def test_a_request_in_openai_form_is_read() -> None:
    request = parse_request(
        _body(
            model="newsroom",
            messages=[
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Who spoke?"}]},
                {"role": "assistant", "content": "Zelenskyy [1]."},
                {"role": "user", "content": "What else?"},
            ],
            stream=True,
            temperature=0.7,  # the app's own settings stand; unknown fields are no error
            as_of="2024-03-26",
        )
    )
    assert request.question == "What else?" and request.stream
    assert request.history()[1] == {"role": "user", "content": "Who spoke?"}
    assert str(request.filters().as_of) == "2024-03-26"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (_body(messages=QUESTION), "model"),
        (_body(model="gpt-4", messages=QUESTION), "model"),
        (_body(model="newsroom"), "messages"),
        (_body(model="newsroom", messages=[]), "messages"),
        (
            _body(model="newsroom", messages=[{"role": "narrator", "content": "x"}]),
            "messages.0.role",
        ),
        (_body(model="newsroom", messages=[{"role": "assistant", "content": "x"}]), "messages"),
        (_body(model="newsroom", messages=[{"role": "user", "content": "  "}]), "messages"),
        (_body(model="newsroom", messages=QUESTION, stream="often"), "stream"),
        (_body(model="newsroom", messages=QUESTION, since="soon"), "since"),
    ],
)
def test_a_malformed_request_names_its_field(body: bytes, field: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_request(body)
    assert info.value.status == 400 and info.value.param == field
    assert f"'{field}'" in info.value.message


@pytest.mark.parametrize("body", [b"", b"{not json", b"[1, 2]"])
def test_a_body_that_is_not_a_json_object_is_refused(body: bytes) -> None:
    with pytest.raises(ApiError) as info:
        parse_request(body)
    assert info.value.status == 400 and "JSON" in info.value.message


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_without_a_login_or_key_the_api_is_open() -> None:
    assert ApiLogin().user(None) == ""


def test_the_login_and_the_key_let_in_and_nothing_else_does() -> None:
    login = ApiLogin([("editor", "s3cret"), ("desk", "pa:ss")], api_key="k3y")
    assert login.user(_basic("editor", "s3cret")) == "editor"
    assert login.user(_basic("desk", "pa:ss")) == "desk"
    assert login.user("Bearer k3y") == API_KEY_USER
    for wrong in (None, "", "Bearer nope", "Bearer ", _basic("editor", "k3y"), "Basic ???"):
        with pytest.raises(ApiError) as info:
            login.user(wrong)
        assert info.value.status == 401


def test_a_key_alone_asks_for_the_key() -> None:
    login = ApiLogin(api_key="k3y")
    assert login.user("Bearer k3y") == API_KEY_USER
    with pytest.raises(ApiError):
        login.user(_basic("editor", "s3cret"))


PASSAGES = [
    Passage(
        "c1", "a1", 0,
        "Zelenskyy spoke with Pedro Sánchez on Monday. They discussed air defence for Ukraine.",
        "Zelenskyy speaks with Sánchez", "2024-03-25", "Test Wire", "",
    ),
    Passage(
        "c2", "a2", 0, "The city council approved a new tram line on Monday.",
        "Tram line approved", "2024-03-18", "Test Wire", "",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    "written",
    [
        "Zelenskyy spoke with Pedro Sánchez [2]. They discussed air defence [1]. "
        "The moon is made of cheese.",
        "Zelenskyy spoke with Pedro Sánchez. [1] They discussed air defence.\n[1]",
        "Zelenskyy spoke with Pedro Sánchez [1]. Zelenskyy spoke with Pedro Sánchez [1].",
    ],
)
def test_what_is_streamed_adds_up_to_the_checked_answer(written: str) -> None:
    stream = CheckedStream()
    stream.passages = PASSAGES
    sent = [stream.add(piece) for piece in written.split(" ")[:1]]
    sent += [stream.add(" " + piece) for piece in written.split(" ")[1:]]
    final = attribute(written, PASSAGES).render()
    sent.append(stream.finish(final))
    assert "".join(sent) == final
    # Sent sentence by sentence, each only once its citation is checked (a sentence the
    # model repeated is shown once).
    assert len([s for s in sent if s]) == len(attribute(written, PASSAGES).sentences)
    assert "[2]" not in final  # the wrong citation was corrected before anything was sent


def test_a_model_server_that_fails_is_a_503_or_an_error_event_never_a_traceback() -> None:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from assistant.app.api.replies import NewsroomApi
    from assistant.app.api.routes import mount_api
    from assistant.errors import ModelUnavailableError

    class _DeadChat:
        def events(self, *_: object) -> object:
            raise ModelUnavailableError("The model server cannot be reached: it may have stopped.")

    app = FastAPI()
    mount_api(app, NewsroomApi(_DeadChat()), ApiLogin())  # type: ignore[arg-type]
    client = TestClient(app)
    body = {"model": "newsroom", "messages": QUESTION}
    whole = client.post("/v1/chat/completions", json=body)
    assert whole.status_code == 503
    assert "cannot be reached" in whole.json()["error"]["message"]
    streamed = client.post("/v1/chat/completions", json={**body, "stream": True})
    events = [line for line in streamed.text.splitlines() if line.startswith("data: ")]
    assert '"role": "assistant"' in events[0]
    assert "cannot be reached" in events[-2] and events[-1] == "data: [DONE]"
    assert "Traceback" not in streamed.text


def _served(api: object) -> object:
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from assistant.app.api.routes import mount_api

    app = FastAPI()
    mount_api(app, api, ApiLogin())  # type: ignore[arg-type]
    return TestClient(app)


def test_summaries_and_fact_checks_answer_with_their_citations() -> None:
    from assistant.answer.factcheck import ClaimCheck, Claims, Evidence, FactCheck
    from assistant.app.api.replies import NewsroomApi
    from assistant.app.web.tools import FactCheckHandler, SummaryHandler
    from assistant.types import Answer, Retrieved, Token

    class _Summaries:
        def topic(self, topic: str, length: str, filters: object) -> Iterator[object]:
            yield Retrieved(topic, PASSAGES, 0)
            yield Token("Zelenskyy and Sánchez spoke [1].")
            yield Answer("Zelenskyy and Sánchez spoke [1].", PASSAGES, [1])

    class _Checks:
        def check(self, text: str, filters: object) -> Iterator[object]:
            quote = "Zelenskyy spoke with Pedro Sánchez on Monday."
            check = ClaimCheck(
                text, "SUPPORTED", [Evidence(quote, PASSAGES[0], True, "supports", 3.0)]
            )
            yield Claims([text])
            yield check
            yield FactCheck([check], "SUPPORTED")

    api = NewsroomApi(
        None,  # type: ignore[arg-type]
        SummaryHandler(lambda: _Summaries(), list),  # type: ignore[arg-type, return-value]
        FactCheckHandler(lambda: _Checks()),  # type: ignore[arg-type, return-value]
    )
    client = _served(api)
    summary = client.post(  # type: ignore[attr-defined]
        "/v1/chat/completions",
        json={"model": "newsroom-summarize", "messages": [{"role": "user", "content": "Kyiv"}]},
    ).json()
    assert summary["choices"][0]["message"]["content"] == "Zelenskyy and Sánchez spoke [1]."
    [cited] = summary["citations"]
    assert cited["number"] == 1 and cited["date"] == "2024-03-25" and cited["quote"]

    claim = "Zelenskyy spoke with Sánchez."
    checked = client.post(  # type: ignore[attr-defined]
        "/v1/chat/completions",
        json={"model": "newsroom-factcheck", "messages": [{"role": "user", "content": claim}]},
    ).json()
    text = checked["choices"][0]["message"]["content"]
    assert text.startswith(f"SUPPORTED: {claim}") and "[1]" in text
    assert checked["citations"][0]["quote"] == "Zelenskyy spoke with Pedro Sánchez on Monday."


def test_an_answer_the_chain_wrote_itself_is_streamed_as_it_stands() -> None:
    """An option picked from the passages comes as one token, already cited; checking it
    again as the model's words would change it, and what was streamed would differ."""
    from assistant.app.api.replies import Delta, Done, NewsroomApi
    from assistant.app.api.schema import ChatRequest
    from assistant.types import Answer, Retrieved, Token

    picked = "Pedro Sánchez [2]. He is the prime minister of Spain [2]."

    class _Chat:
        def events(self, *_: object) -> Iterator[object]:
            yield Retrieved("q", PASSAGES, 0)
            yield Token(picked)
            yield Answer(picked, PASSAGES, [2])

    request = ChatRequest.model_validate({"model": "newsroom", "messages": QUESTION})
    pieces = list(NewsroomApi(_Chat()).reply(request))  # type: ignore[arg-type]
    streamed = "".join(p.text for p in pieces if isinstance(p, Delta))
    assert streamed == picked and isinstance(pieces[-1], Done)


def test_an_answer_checked_whole_is_sent_only_after_its_check() -> None:
    """A one-fact answer may be withdrawn by its second reading: none of the words the
    model wrote may go out before, so the client sees only the final text."""
    from assistant.answer.second_reading import UNSETTLED
    from assistant.app.api.replies import Delta, Done, NewsroomApi
    from assistant.app.api.schema import ChatRequest
    from assistant.types import Answer, Retrieved, Token

    class _Chat:
        def events(self, *_: object) -> Iterator[object]:
            yield Retrieved("q", PASSAGES, 0, checked_whole=True)
            written = "Zelenskyy spoke with the council [2]. It met on Monday [2]."
            for word in written.split():
                yield Token(word + " ")
            yield Answer(UNSETTLED, PASSAGES, [], None, UNSETTLED, second_reading="withheld")

    request = ChatRequest.model_validate({"model": "newsroom", "messages": QUESTION})
    pieces = list(NewsroomApi(_Chat()).reply(request))  # type: ignore[arg-type]
    streamed = "".join(p.text for p in pieces if isinstance(p, Delta))
    assert streamed == UNSETTLED and "council" not in streamed
    assert isinstance(pieces[-1], Done) and pieces[-1].text == UNSETTLED
