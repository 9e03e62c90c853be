"""Questions that list lettered options: the option read from the letters' probabilities."""

from __future__ import annotations

import math
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from assistant.answer.options import letter_probabilities, read_options
from assistant.answer.prompts import load_prompts
from assistant.answer.qa import Answer, QAChain
from assistant.config import PROJECT_ROOT
from assistant.types import Filters, Passage


def test_lettered_options_are_read_from_the_question() -> None:
    options = read_options("Which show returns?\nOptions: (A) Friends; (B) Squid Game; (C) Lost")
    assert options is not None
    assert options.stem == "Which show returns?"
    assert options.choices == ["Friends", "Squid Game", "Lost"]


def test_a_question_without_lettered_options_has_none() -> None:
    assert read_options("Who did Zelenskyy speak with (and when)?") is None
    assert read_options("Pick (B) Squid Game or (C) Lost") is None  # not from (A)


def test_letter_tokens_in_any_dress_count_for_their_letter() -> None:
    top = [
        {"token": " B", "logprob": math.log(0.5)},
        {"token": "(B", "logprob": math.log(0.2)},
        {"token": "A", "logprob": math.log(0.1)},
        {"token": "The", "logprob": math.log(0.2)},
    ]
    probabilities, share = letter_probabilities(top, 3)
    assert [round(p, 2) for p in probabilities] == [0.1, 0.7, 0.0]
    assert round(share, 2) == 0.8


class LetterModel(BaseChatModel):
    """Answers the letter question with first-token probabilities: ``favour`` when the
    passages are in the prompt, a bias towards A when they are "N/A"."""

    favour: dict[str, float] = Field(default_factory=dict)
    bias: dict[str, float] = Field(default_factory=dict)
    asked: list[str] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "letter-test-model"

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        text = str(messages[-1].content)
        self.asked.append(text)
        probabilities = self.bias if "N/A" in text.split("Question:")[0] else self.favour
        top = [{"token": t, "logprob": math.log(p)} for t, p in probabilities.items()]
        word = max(probabilities, key=lambda k: probabilities[k])
        metadata = {"logprobs": {"content": [{"token": word, "top_logprobs": top}]}}
        return ChatResult(
            generations=[
                ChatGeneration(message=AIMessage(content=word, response_metadata=metadata))
            ]
        )


def test_the_calibrated_favourite_is_the_answer_with_its_citation(cache_dir: object) -> None:
    # Raw, A looks best (0.45 > 0.4); but the model says A 0.8 of the time with no
    # passages at all, and B only 0.1: calibrated, B wins.
    llm = LetterModel(favour={"A": 0.45, "B": 0.4, "C": 0.15}, bias={"A": 0.8, "B": 0.1, "C": 0.1})
    found = [
        Passage(
            "c1",
            "a1",
            0,
            "Netflix renewed Squid Game for a second season.",
            "T",
            "2022-06-12",
            "cnn",
            "",
            0.7,
        )
    ]

    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        return found

    chain = QAChain(
        llm, retrieve, load_prompts(PROJECT_ROOT / "prompts"), 700, 0.2, pick_options=True
    )
    question = "Which show was renewed?\nOptions: (A) Friends; (B) Squid Game; (C) Lost"
    answer = list(chain.stream(question))[-1]
    assert isinstance(answer, Answer)
    assert answer.written == "(B) Squid Game."
    assert answer.text == "(B) Squid Game [1]."
    assert answer.confidence is not None and answer.confidence > 0.5
    assert "Reply with the letter" in llm.asked[0]
