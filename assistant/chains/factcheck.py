"""Fact checks: a claim (or a paragraph of them) against the corpus, with verdicts whose
evidence is quoted word for word and verified against the stored passage text."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import Runnable

from assistant.chains.context import pack_context
from assistant.chains.errors import model_errors
from assistant.chains.quotes import matching_sentence, quote_in
from assistant.chains.verdict_parsing import (
    Verdict,
    VerdictReply,
    parse_claim_list,
    parse_lenient,
    parse_strict,
)
from assistant.keyword_index import query_terms
from assistant.prompts import PromptSet
from assistant.retrieval import Filters
from assistant.store import Passage

log = logging.getLogger(__name__)

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"“])")
_SHORT_CLAIM_WORDS = 30  # a single sentence this short is checked as it is
_MAX_CLAIMS = 8
_VERDICT_TOKENS = 220


@dataclass(frozen=True)
class Evidence:
    quote: str
    passage: Passage
    verified: bool  # the quote occurs in the stored text of the passage
    # The model's words were a paraphrase; the quote shown is the passage sentence they
    # paraphrase (verbatim from the store).
    matched: bool = False


@dataclass(frozen=True)
class ClaimCheck:
    claim: str
    verdict: Verdict
    evidence: list[Evidence] = field(default_factory=list)
    explanation: str = ""
    passages: list[Passage] = field(default_factory=list)
    note: str = ""  # how the model's reply was read, when it was not clean JSON


@dataclass(frozen=True)
class FactCheck:
    claims: list[ClaimCheck]
    overall: Verdict


@dataclass(frozen=True)
class Claims:
    """Emitted first: the claims the text was split into."""

    claims: list[str]


FactCheckEvent = Claims | ClaimCheck | FactCheck


def sentence_split(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def overall_verdict(verdicts: Sequence[Verdict]) -> Verdict:
    """A text is as true as all its claims: one refuted claim refutes it, evidence both
    ways makes it conflicting, and one unsettled claim leaves it not settled."""
    if not verdicts:
        return "NOT ENOUGH INFO"
    for verdict in ("REFUTED", "CONFLICTING", "NOT ENOUGH INFO"):
        if verdict in verdicts:
            return verdict
    return "SUPPORTED"


def verify_evidence(reply: VerdictReply, passages: Sequence[Passage]) -> list[Evidence]:
    """Check each quote against the stored text of the passage it names; a quote found in
    another given passage is credited to that one. Unverifiable quotes are kept, marked, so
    the caller can count them, but never shown as evidence."""
    checked: list[Evidence] = []
    for item in reply.evidence:
        named = passages[item.passage - 1] if item.passage <= len(passages) else None
        if named is not None and quote_in(item.quote, named.text):
            checked.append(Evidence(item.quote.strip(), named, True))
            continue
        other = next((p for p in passages if quote_in(item.quote, p.text)), None)
        if other is not None:
            checked.append(Evidence(item.quote.strip(), other, True))
            continue
        for passage in [named] if named is not None else passages:
            sentence = matching_sentence(item.quote, passage.text)
            if sentence is not None:
                checked.append(Evidence(sentence, passage, True, matched=True))
                break
        else:
            if passages:
                checked.append(Evidence(item.quote.strip(), named or passages[0], False))
    # The same sentence cited twice is shown once.
    unique: dict[tuple[str, str], Evidence] = {}
    for evidence in checked:
        unique.setdefault((evidence.passage.chunk_id, evidence.quote), evidence)
    return list(unique.values())


class FactCheckChain:
    def __init__(
        self,
        llm: BaseChatModel,
        retrieve: Callable[[str, Filters | None], list[Passage]],
        prompts: PromptSet,
        context_tokens: int,
        min_relevance: float,
        evidence_passages: int = 4,
    ) -> None:
        # A verdict is a short JSON object: a bound on its length stops a rambling small
        # model from spending a minute on one claim (llama.cpp's server reads the bound
        # from the request body, as models.make_chat_model explains).
        self.llm = llm.bind(extra_body={"max_tokens": _VERDICT_TOKENS})
        self.retrieve = retrieve
        self.prompts = prompts
        self.context_tokens = context_tokens
        self.min_relevance = min_relevance
        self.evidence_passages = evidence_passages
        self.split_chain: Runnable = prompts.split | self.llm | StrOutputParser()

    # ---- claims ---------------------------------------------------------------------

    def split_claims(self, text: str) -> list[str]:
        """Atomic claims; a short single sentence is one already. The model's split is
        used only when every claim it returns keeps to the words of the text."""
        sentences = sentence_split(text)
        if len(sentences) <= 1 and len(text.split()) <= _SHORT_CLAIM_WORDS:
            return [text.strip()]
        with model_errors():
            reply = self.split_chain.invoke({"text": text})
        claims = parse_claim_list(reply)
        source_words = set(query_terms(text))
        if claims and all(
            len(set(query_terms(c)) & source_words) >= 0.6 * max(len(query_terms(c)), 1)
            for c in claims
        ):
            return claims[:_MAX_CLAIMS]
        log.info("Claim split by the model not usable (%r); splitting by sentence", reply)
        return sentences[:_MAX_CLAIMS]

    # ---- one claim ------------------------------------------------------------------

    def _ask(self, messages: list[BaseMessage]) -> str:
        with model_errors():
            reply = self.llm.invoke(messages)
        return str(getattr(reply, "content", reply))

    def read_verdict(self, messages: list[BaseMessage]) -> tuple[VerdictReply, str]:
        """Strict JSON, then one retry showing the model its error, then a lenient read."""
        first = self._ask(messages)
        reply, error = parse_strict(first)
        if reply is not None:
            return reply, ""
        retry = [
            *messages,
            AIMessage(content=first),
            HumanMessage(
                content=f"That reply cannot be used: {error}. Reply again with the JSON "
                'object only: {"verdict": ..., "evidence": [{"passage": n, "quote": ...}], '
                '"explanation": ...}'
            ),
        ]
        second = self._ask(retry)
        reply, error = parse_strict(second)
        if reply is not None:
            return reply, "read after one retry"
        return parse_lenient(second + "\n" + first), f"read leniently ({error})"

    def check_claim(
        self, claim: str, filters: Filters | None = None, today: date | None = None
    ) -> ClaimCheck:
        found = [p for p in self.retrieve(claim, filters) if p.score >= self.min_relevance]
        packed = pack_context(found[: self.evidence_passages], self.context_tokens)
        if not packed.passages:
            return ClaimCheck(claim, "NOT ENOUGH INFO", explanation="No article covers it.")
        messages = self.prompts.factcheck.format_messages(
            today=(today or date.today()).isoformat(), context=packed.text, claim=claim
        )
        reply, note = self.read_verdict(messages)
        evidence = verify_evidence(reply, packed.passages)
        verdict: Verdict = reply.verdict
        if verdict != "NOT ENOUGH INFO" and not any(e.verified for e in evidence):
            # A verdict is only as good as its evidence: none verified, nothing settled.
            note = (note + "; " if note else "") + f"model said {verdict} without a verified quote"
            verdict = "NOT ENOUGH INFO"
        return ClaimCheck(claim, verdict, evidence, reply.explanation, packed.passages, note)

    # ---- a text ---------------------------------------------------------------------

    def check(
        self, text: str, filters: Filters | None = None, today: date | None = None
    ) -> Iterator[FactCheckEvent]:
        claims = self.split_claims(text)
        yield Claims(claims)
        results = []
        for claim in claims:
            result = self.check_claim(claim, filters, today)
            results.append(result)
            yield result
        yield FactCheck(results, overall_verdict([r.verdict for r in results]))
