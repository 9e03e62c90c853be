"""Questions that list lettered options ("(A) Europe; (B) Asia"): the model's choice read
from its probabilities for each letter, not from the prose it would write.

Asked to answer in prose, a small model often repeats every option with a citation before
each. Its first-token probabilities for the letters say which option the passages favour.
The model's bias towards some letters whatever the passages say is taken out the way the
fact check does (contextual calibration, Zhao et al. 2021): the same question is asked
about no passages and "N/A" options, once per number of options, and each letter's
probability is divided by its probability then.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate

from assistant.answer.model_errors import model_errors
from assistant.answer.stance import first_token_alternatives

log = logging.getLogger(__name__)

_LETTERS = "ABCDEFGH"
_OPTION = re.compile(r"\(([A-H])\)\s*(.+?)\s*(?=;\s*\([A-H]\)|\n|$)")
_TOP_LOGPROBS = 20
# Below this total probability for the letters, the first token is not a choice and its
# probabilities say nothing about the options.
_MIN_LETTER_SHARE = 0.3
# Below this calibrated probability the answer is "the articles do not say": a wrong pick
# costs a reader more than no answer.
MIN_CONFIDENCE = 0.0
PICK_INSTRUCTION = "Reply with the letter of the right option only."


@dataclass(frozen=True)
class Options:
    stem: str  # the question without its options
    choices: list[str]

    def listed(self) -> str:
        return "; ".join(f"({_LETTERS[i]}) {c}" for i, c in enumerate(self.choices))


def read_options(question: str) -> Options | None:
    """The lettered options of a question, when it lists at least two from (A) in order."""
    found = _OPTION.findall(question)
    letters = [letter for letter, _ in found]
    if len(found) < 2 or letters != list(_LETTERS[: len(found)]):
        return None
    first = question.find(f"({letters[0]})")
    stem = re.sub(r"\s*(?:Options|Choices)\s*:?\s*$", "", question[:first].rstrip())
    return Options(stem.strip(), [text.strip().rstrip(";") for _, text in found])


@dataclass(frozen=True)
class Pick:
    index: int
    probability: float  # calibrated, normalized over the options


def letter_probabilities(top: list[Any], count: int) -> tuple[list[float], float]:
    """Each option letter's first-token probability (tokens " B", "(B", "B." count for B),
    and the share the letters hold together."""
    import math

    probabilities = [0.0] * count
    for entry in top:
        token = str(entry.get("token", "")).strip().strip("().:*[] ")
        if len(token) == 1 and token in _LETTERS[:count]:
            probabilities[_LETTERS.index(token)] += math.exp(float(entry.get("logprob", -99.0)))
    return probabilities, sum(probabilities)


class OptionPicker:
    """Asks for the letter of the right option and reads the letters' probabilities."""

    def __init__(self, llm: BaseChatModel, prompt: ChatPromptTemplate) -> None:
        self.llm = llm.bind(logprobs=True, top_logprobs=_TOP_LOGPROBS, extra_body={"max_tokens": 1})
        self.prompt = prompt
        self._priors: dict[int, list[float] | None] = {}

    def _probabilities(self, inputs: dict[str, str], count: int) -> list[float] | None:
        with model_errors():
            reply = self.llm.invoke(self.prompt.format_messages(**inputs))
        top = first_token_alternatives(reply)
        if top is None:
            return None
        probabilities, share = letter_probabilities(list(top), count)
        if share < _MIN_LETTER_SHARE:
            log.info("No option letter in the first token (letters hold %.2f)", share)
            return None
        floor = min(p for p in probabilities if p > 0)
        return [p or floor / 2 for p in probabilities]

    def prior(self, count: int, today: str) -> list[float] | None:
        if count not in self._priors:
            options = "; ".join(f"({_LETTERS[i]}) N/A" for i in range(count))
            self._priors[count] = self._probabilities(
                {
                    "today": today,
                    "context": "N/A",
                    "question": f"N/A\nOptions: {options}\n{PICK_INSTRUCTION}",
                },
                count,
            )
            log.info("Option letter prior for %d options: %s", count, self._priors[count])
        return self._priors[count]

    def pick(self, options: Options, context: str, today: str) -> Pick | None:
        """The option the passages favour, or None when the model gives no letter."""
        question = f"{options.stem}\nOptions: {options.listed()}\n{PICK_INSTRUCTION}"
        probabilities = self._probabilities(
            {"today": today, "context": context, "question": question}, len(options.choices)
        )
        if probabilities is None:
            return None
        prior = self.prior(len(options.choices), today) or [1.0] * len(options.choices)
        calibrated = [p / q for p, q in zip(probabilities, prior, strict=True)]
        total = sum(calibrated)
        best = max(range(len(calibrated)), key=calibrated.__getitem__)
        return Pick(best, calibrated[best] / total)
