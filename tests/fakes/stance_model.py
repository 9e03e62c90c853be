"""A chat model for chain tests that answers the stance question as llama.cpp's server
does, with first-token log-probabilities, and anything else from a list of replies."""

from __future__ import annotations

import math
from typing import Any

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

# What the model answers about a content-free passage: its bias towards UNKNOWN.
PRIOR = {"TRUE": 0.02, "FALSE": 0.01, "UNKNOWN": 0.97}
SUPPORTS = {"TRUE": 0.6, "FALSE": 0.01, "UNKNOWN": 0.39}
REFUTES = {"TRUE": 0.01, "FALSE": 0.6, "UNKNOWN": 0.39}


def top(**probabilities: float) -> list[dict[str, Any]]:
    """Top alternatives of a token, in the OpenAI ``top_logprobs`` form."""
    return [{"token": t, "logprob": math.log(p)} for t, p in probabilities.items()]


class StanceModel(BaseChatModel):
    """``answers`` maps text that the stance question holds (a key's parts, joined by
    "|", must all occur) to TRUE/FALSE/UNKNOWN probabilities; a question matching no key
    is answered like the content-free one, so it settles nothing."""

    answers: dict[str, dict[str, float]] = Field(default_factory=dict)
    replies: list[str] = Field(default_factory=list)
    asked: list[str] = Field(default_factory=list)
    # The request options of each stance question, to check what the judge asks for.
    options: list[dict[str, Any]] = Field(default_factory=list)
    # Like a server started without logits_all: a request for log-probabilities fails.
    refuse_logprobs: bool = False

    @property
    def _llm_type(self) -> str:
        return "stance-test-model"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: Any = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = str(messages[-1].content)
        self.asked.append(text)
        if not text.startswith("Passage:"):
            return ChatResult(
                generations=[ChatGeneration(message=AIMessage(content=self.replies.pop(0)))]
            )
        self.options.append(dict(kwargs))
        if kwargs.get("logprobs") and self.refuse_logprobs:
            request = httpx.Request("POST", "http://model/v1/chat/completions")
            raise openai.InternalServerError(
                "logprobs is not supported",
                response=httpx.Response(500, request=request),
                body=None,
            )
        probabilities = next(
            (p for key, p in self.answers.items() if all(k in text for k in key.split("|"))),
            PRIOR,
        )
        word = max(probabilities, key=lambda k: probabilities[k])
        metadata: dict[str, Any] = {}
        if kwargs.get("logprobs"):  # only when asked, as a server does
            alternatives = top(**probabilities)
            metadata["logprobs"] = {"content": [{"token": word, "top_logprobs": alternatives}]}
        message = AIMessage(content=word, response_metadata=metadata)
        return ChatResult(generations=[ChatGeneration(message=message)])
