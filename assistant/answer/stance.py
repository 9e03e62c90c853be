"""A passage's stance on a claim, read from the model's probabilities for one answer word.

A small model asked for a verdict in prose or JSON nearly always hedges ("not enough
info"), even when a passage says the claim outright. Its first-token probabilities for
TRUE / FALSE / UNKNOWN carry more than its generated word does, once the model's bias is
taken out (contextual calibration, Zhao et al. 2021, "Calibrate Before Use"): the same
question is asked about a content-free passage and claim ("N/A"), and a passage is read
as supporting the claim when it raises the odds of TRUE against UNKNOWN above that
baseline (its lift) and, beyond the baseline too, the odds of TRUE against FALSE (its
margin); likewise FALSE for a refutation. Nearly every passage that shares the claim's
words moves the model far from UNKNOWN, towards TRUE and FALSE alike: the lifts tell a
passage on the claim's subject from one off it, and the margin tells which way it leans.

Servers that return no log-probabilities are read from the answer word itself.
"""

from __future__ import annotations

import copy
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.prompts import ChatPromptTemplate

from assistant.answer.model_errors import model_errors

log = logging.getLogger(__name__)

Stance = Literal["supports", "refutes", "unclear"]
ANSWER_WORDS: dict[str, Stance] = {"TRUE": "supports", "FALSE": "refutes", "UNKNOWN": "unclear"}
_CONTENT_FREE = "N/A"
_TOP_LOGPROBS = 20
# Below this total probability for the three answer words, the first token is not an
# answer and its probabilities say nothing about the passage.
_MIN_ANSWER_SHARE = 0.5

# How far (natural log of the odds ratio) a passage must move TRUE, or FALSE, against
# UNKNOWN beyond the content-free baseline, for the bundled 0.5B model and the prompt in
# prompts/judge_system.txt. Both were chosen on claims 300-499 of the CLIMATE-FEVER claims
# that `assistant eval claims` reads, never on the first 300, which the README reports.
SUPPORT_LIFT = 3.75
REFUTE_LIFT = 4.0
# How far a passage must move TRUE against FALSE, beyond the baseline, to support the
# claim, and FALSE against TRUE to refute it (natural log of the odds ratio). Chosen with
# `assistant eval claim-thresholds` on judgements recorded over the even half of those
# claims (`eval claims --split even --judge-all`), and checked on the odd half; see the
# README. Below zero for support: this model, asked about a passage that states the claim,
# still gives FALSE about as much as TRUE beside the baseline's odds.
SUPPORT_MARGIN = -0.2
REFUTE_MARGIN = 0.4
NO_MARGIN = -math.inf  # the lift alone decides
_CERTAIN = 20.0  # the lift given to an answer read from a reply's word


@dataclass(frozen=True)
class StanceScores:
    """How far the passage moved each answer against UNKNOWN, beyond the model's bias."""

    support_lift: float
    refute_lift: float
    calibrated: bool = True  # False when read from the answer word (no log-probabilities)


def _answer_stance(token: str) -> Stance | None:
    """The stance a first token stands for: the whole word, or a prefix of at least two
    letters (tokenizers split UNKNOWN as UN + KNOWN)."""
    word = token.strip().strip(".:\"'").upper()
    if len(word) < 2:
        return None
    for answer, stance in ANSWER_WORDS.items():
        if word == answer or answer.startswith(word):
            return stance
    return None


@dataclass(frozen=True)
class AnswerMass:
    """The answers' probabilities for the first token. An answer missing from the top
    alternatives is given the smallest probability listed, which nothing unlisted can
    exceed; ``share`` is how much of the whole the three answers hold."""

    probabilities: dict[Stance, float]
    share: float


def answer_probabilities(top_logprobs: Sequence[Mapping[str, Any]]) -> AnswerMass:
    mass: dict[Stance, float] = {"supports": 0.0, "refutes": 0.0, "unclear": 0.0}
    listed = []
    for entry in top_logprobs:
        probability = math.exp(float(entry.get("logprob", -math.inf)))
        listed.append(probability)
        stance = _answer_stance(str(entry.get("token", "")))
        if stance is not None:
            mass[stance] += probability
    share = sum(mass.values())
    floor = min(listed, default=0.0)
    return AnswerMass({s: p or floor for s, p in mass.items()}, share)


def first_token_alternatives(message: BaseMessage) -> list[Mapping[str, Any]] | None:
    """The first generated token's top alternatives, as OpenAI-compatible servers put them
    in ``logprobs.content[0].top_logprobs``; None when the server sent none."""
    logprobs = message.response_metadata.get("logprobs") or {}
    content = logprobs.get("content") if isinstance(logprobs, Mapping) else None
    if not content:
        return None
    top = content[0].get("top_logprobs")
    return list(top) if top else None


def _log(probability: float) -> float:
    return math.log(max(probability, 1e-12))


def calibrate(probabilities: Mapping[Stance, float], prior: Mapping[Stance, float]) -> StanceScores:
    """Log odds of TRUE and of FALSE against UNKNOWN, less the same odds with no content."""

    def log_odds(answers: Mapping[Stance, float], stance: Stance) -> float:
        return _log(answers.get(stance, 0.0)) - _log(answers.get("unclear", 0.0))

    return StanceScores(
        log_odds(probabilities, "supports") - log_odds(prior, "supports"),
        log_odds(probabilities, "refutes") - log_odds(prior, "refutes"),
    )


def word_scores(reply: str) -> StanceScores:
    """A reply without log-probabilities: its first answer word is taken as certain."""
    for token in reply.replace(",", " ").split()[:3]:
        stance = _answer_stance(token)
        if stance is not None:
            support = _CERTAIN if stance == "supports" else -_CERTAIN
            refute = _CERTAIN if stance == "refutes" else -_CERTAIN
            return StanceScores(support, refute, calibrated=False)
    return StanceScores(-_CERTAIN, -_CERTAIN, calibrated=False)


@dataclass(frozen=True)
class Thresholds:
    """What a passage must reach to take a side (see the constants above)."""

    support_lift: float = SUPPORT_LIFT
    refute_lift: float = REFUTE_LIFT
    support_margin: float = SUPPORT_MARGIN
    refute_margin: float = REFUTE_MARGIN

    def excess(self, scores: StanceScores) -> tuple[float, float]:
        """How far the passage went past what support, and refutation, need: the lesser
        of its excess in lift and in margin (negative: how far it stayed short)."""
        lean = scores.support_lift - scores.refute_lift
        return (
            min(scores.support_lift - self.support_lift, lean - self.support_margin),
            min(scores.refute_lift - self.refute_lift, -lean - self.refute_margin),
        )

    def decide(self, scores: StanceScores) -> Stance:
        """A passage that reaches both sides takes the one it went further past."""
        support, refute = self.excess(scores)
        if support >= 0 and refute >= 0:
            return "supports" if support >= refute else "refutes"
        return "supports" if support >= 0 else "refutes" if refute >= 0 else "unclear"

    def strength(self, scores: StanceScores, stance: Stance) -> float:
        """How far the passage went past what its stance needs; for a passage that took
        no side, how far the nearer side stayed short (negative)."""
        support, refute = self.excess(scores)
        if stance == "supports":
            return support
        if stance == "refutes":
            return refute
        return max(support, refute)


FACT_CHECK = Thresholds()


class StanceJudge:
    """Asks the model one short question per passage: TRUE, FALSE or UNKNOWN."""

    def __init__(
        self, llm: BaseChatModel, prompt: ChatPromptTemplate, thresholds: Thresholds = FACT_CHECK
    ) -> None:
        # The probabilities of the first token are what is read, so one token is asked
        # for: llama-cpp-python sorts the whole vocabulary for each token it gives
        # log-probabilities of, and for every token of the prompt too when the reply is
        # not streamed (0.86-0.98 s a question against 0.56 s on 2 cores), so passages are
        # asked about in streamed requests. Without log-probabilities, two tokens are
        # enough for the answer word (UNKNOWN may come as UN + KNOWN). llama.cpp's server
        # takes the bound from the request body.
        self.llm = llm.bind(logprobs=True, top_logprobs=_TOP_LOGPROBS, extra_body={"max_tokens": 1})
        self.plain_llm = llm.bind(extra_body={"max_tokens": 2})
        self.prompt = prompt
        self.thresholds = thresholds
        self._prior: dict[Stance, float] | None = None
        self._prior_asked = False
        self._logprobs_refused = False

    def _ask(self, passage: str, claim: str, *, stream: bool = True) -> BaseMessage:
        messages = self.prompt.format_messages(passage=passage, claim=claim)
        if self._logprobs_refused:
            with model_errors():
                return self.plain_llm.invoke(messages)
        try:
            return self.llm.invoke(messages, stream=stream)
        except openai.APIStatusError as exc:
            refusal = exc
        except Exception:
            with model_errors():
                raise
        # Some servers refuse log-probabilities outright (llama-cpp-python run without
        # logits_all, say). If the same question without them is answered, that was the
        # reason: the answer word is read from now on.
        with model_errors():
            reply = self.plain_llm.invoke(messages)
        log.warning("The model server refused log-probabilities (%s)", refusal)
        self._logprobs_refused = True
        return reply

    def prior(self) -> dict[Stance, float] | None:
        """The model's answer probabilities with no content: its bias. Asked once, before
        any passage, and not streamed: a server that refuses log-probabilities says so in
        an HTTP error, where a stream would just end (llama-cpp-python's even breaks the
        connection). None when the server gives no log-probabilities or the model does not
        answer with one of the three words."""
        if not self._prior_asked:
            self._prior_asked = True
            top = first_token_alternatives(self._ask(_CONTENT_FREE, _CONTENT_FREE, stream=False))
            mass = answer_probabilities(top) if top is not None else None
            if mass is not None and mass.share < _MIN_ANSWER_SHARE:
                log.warning("No usable stance prior: the answers hold %.2f", mass.share)
            elif mass is not None:
                self._prior = mass.probabilities
                log.info("Stance prior: %s", self._prior)
        return self._prior

    def scores(self, passage: str, claim: str) -> StanceScores:
        prior = self.prior()
        reply = self._ask(passage, claim)
        top = first_token_alternatives(reply)
        if top is None or prior is None:
            return word_scores(str(reply.content))
        mass = answer_probabilities(top)
        if mass.share < _MIN_ANSWER_SHARE:
            # The model started some other reply ("The", "**"): its word, if any, counts.
            return word_scores(str(reply.content))
        return calibrate(mass.probabilities, prior)

    def with_thresholds(self, thresholds: Thresholds) -> StanceJudge:
        """The same judge (model, prompt, and its bias once asked) deciding by other
        thresholds."""
        judge = copy.copy(self)
        judge.thresholds = thresholds
        return judge

    def stance(self, scores: StanceScores) -> Stance:
        return self.thresholds.decide(scores)

    def strength(self, scores: StanceScores, stance: Stance) -> float:
        return self.thresholds.strength(scores, stance)
