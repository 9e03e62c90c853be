"""What a client may send to ``POST /v1/chat/completions``, read and checked: a malformed
request is refused with a message naming the field at fault."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.app.filters import parse_filters
from assistant.app.web.chat import message_text
from assistant.ingest.readers.base import parse_date
from assistant.types import Filters

# The assistant's three services, as model names a client chooses between.
MODELS = {
    "newsroom": "Questions answered from the articles, with [n] citations.",
    "newsroom-summarize": "What the articles say about a topic, with [n] citations.",
    "newsroom-factcheck": "Claims checked against the articles, with verified quotes.",
}
ModelName = Literal["newsroom", "newsroom-summarize", "newsroom-factcheck"]


class ApiError(Exception):
    """Answered as OpenAI's error object, with an HTTP status."""

    def __init__(
        self,
        status: int,
        message: str,
        param: str | None = None,
        kind: str = "invalid_request_error",
    ) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.kind = status, message, param, kind

    def body(self) -> dict[str, Any]:
        return {
            "error": {"message": self.message, "type": self.kind, "param": self.param, "code": None}
        }


class Message(BaseModel):
    # Clients send more than we read (names, tool calls); it is ignored, not refused.
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    @property
    def text(self) -> str:
        return message_text(self.content).strip()


class ChatRequest(BaseModel):
    # Sampling settings (temperature, max_tokens…) are the app's own and are ignored.
    model_config = ConfigDict(extra="allow")

    model: ModelName
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    # Filters, as in the Ask tab; sent by OpenAI clients in ``extra_body``.
    as_of: str = ""
    since: str = ""
    until: str = ""
    source: str = ""

    @property
    def question(self) -> str:
        return self.messages[-1].text

    def history(self) -> list[dict[str, Any]]:
        """The conversation before the question, as the chat handler reads it."""
        return [{"role": m.role, "content": m.text} for m in self.messages[:-1]]

    def filters(self) -> Filters:
        return parse_filters(self.since, self.until, self.source, self.as_of)


def _field_name(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "body"


def parse_request(body: bytes) -> ChatRequest:
    """The request, or an :class:`ApiError` (400) saying which field is wrong and why."""
    try:
        data = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, f"The request body is not JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "The request body must be a JSON object with 'model' and 'messages'.")
    try:
        request = ChatRequest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = _field_name(first["loc"])
        hint = f" Models: {', '.join(MODELS)}." if name == "model" else ""
        raise ApiError(400, f"'{name}': {first['msg']}.{hint}", param=name) from None
    if request.messages[-1].role != "user" or not request.question:
        raise ApiError(
            400,
            "'messages': the last message must be the user's question, with text.",
            param="messages",
        )
    for name in ("as_of", "since", "until"):
        value = getattr(request, name).strip()
        if value and parse_date(value) is None:
            raise ApiError(400, f"'{name}' must be a date like 2024-03-25, not {value!r}.", name)
    return request
