"""``/v1/models`` and ``/v1/chat/completions`` on the web app's own FastAPI app: OpenAI's
request and reply shapes (streamed as server-sent events, or whole), with an extra
``citations`` field listing the passages the reply's ``[n]`` stand for."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from assistant.app.api.login import ApiLogin
from assistant.app.api.replies import Delta, Done, NewsroomApi
from assistant.app.api.schema import MODELS, ApiError, ChatRequest, parse_request
from assistant.errors import AssistantError, ModelUnavailableError

log = logging.getLogger(__name__)

PREFIX = "/v1"


def _failure(exc: Exception) -> ApiError:
    """An error of the chain as the API reports it; never a stack trace."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ModelUnavailableError):
        return ApiError(503, str(exc), kind="server_error")
    if isinstance(exc, AssistantError):
        return ApiError(400, str(exc))
    log.exception("API request failed")
    return ApiError(
        500, f"Something went wrong ({type(exc).__name__}). See the log.", None, "server_error"
    )


def _error_response(error: ApiError) -> JSONResponse:
    headers = {"WWW-Authenticate": 'Basic realm="newsroom", Bearer'} if error.status == 401 else {}
    return JSONResponse(error.body(), status_code=error.status, headers=headers)


class _Completion:
    """One reply's id, time and model, shared by its chunks."""

    def __init__(self, model: str) -> None:
        self.id = f"chatcmpl-{uuid.uuid4().hex}"
        self.created = int(time.time())
        self.model = model

    def head(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    def whole(self, done: Done) -> dict[str, Any]:
        message = {"role": "assistant", "content": done.text}
        choice = {"index": 0, "message": message, "finish_reason": "stop"}
        return {**self.head("chat.completion"), "choices": [choice], "citations": done.citations}

    def chunk(self, delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        body = {**self.head("chat.completion.chunk"), "choices": [choice], **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"


def _events(api: NewsroomApi, request: ChatRequest, completion: _Completion) -> Iterator[str]:
    """Server-sent events: the role, the text as it comes, then the citations. A failure
    after the first event can only be told as an error event, which OpenAI clients raise."""
    yield completion.chunk({"role": "assistant", "content": ""})
    try:
        for piece in api.reply(request):
            if isinstance(piece, Delta):
                yield completion.chunk({"content": piece.text})
            else:
                yield completion.chunk({}, "stop", citations=piece.citations)
    except Exception as exc:
        yield f"data: {json.dumps(_failure(exc).body(), ensure_ascii=False)}\n\n"
    yield "data: [DONE]\n\n"


def _whole(api: NewsroomApi, request: ChatRequest) -> Done:
    done = Done("")
    for piece in api.reply(request):
        if isinstance(piece, Done):
            done = piece
    return done


def api_router(api: NewsroomApi, login: ApiLogin) -> APIRouter:
    router = APIRouter(prefix=PREFIX)

    @router.get("/models")
    def models(request: Request) -> Response:
        try:
            login.user(request.headers.get("authorization"))
        except ApiError as error:
            return _error_response(error)
        listed = [
            {
                "id": name,
                "object": "model",
                "created": 0,
                "owned_by": "newsroom",
                "description": about,
            }
            for name, about in MODELS.items()
        ]
        return JSONResponse({"object": "list", "data": listed})

    @router.post("/chat/completions")
    async def completions(request: Request) -> Response:
        try:
            login.user(request.headers.get("authorization"))
            chat = parse_request(await request.body())
            completion = _Completion(chat.model)
            if chat.stream:
                return StreamingResponse(
                    _events(api, chat, completion), media_type="text/event-stream"
                )
            return JSONResponse(completion.whole(await run_in_threadpool(_whole, api, chat)))
        except Exception as exc:
            return _error_response(_failure(exc))

    return router


def mount_api(app: FastAPI, api: NewsroomApi, login: ApiLogin) -> None:
    """Add the API's routes to the app that serves the page. The page's own routes never
    start with /v1, so the order they match in does not matter."""
    app.include_router(api_router(api, login))
