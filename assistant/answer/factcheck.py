"""Fact checks: a claim (or a paragraph of them) against the corpus. Each claim's best
passages are judged one by one; the verdict follows from their stances, and the evidence
shown is the judged excerpt, word for word from the stored passage."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from assistant.answer.excerpts import Excerpt, evidence_excerpt
from assistant.answer.model_errors import model_errors
from assistant.answer.plans import speaks_of_plan
from assistant.answer.prompts import PromptSet
from assistant.answer.quotes import quote_in
from assistant.answer.stance import Stance, StanceJudge, StanceScores
from assistant.answer.verdict_parsing import parse_claims_lenient, parse_claims_strict
from assistant.answer.weighing import certainty, weigh
from assistant.index.keywords import query_terms
from assistant.search.retriever import relevant
from assistant.text import SENTENCE_BEGUN
from assistant.types import Filters, Passage, Verdict

log = logging.getLogger(__name__)

_SHORT_CLAIM_WORDS = 30  # a single sentence this short is checked as it is
_MAX_CLAIMS = 8
_SPLIT_TOKENS = 300
_MIN_COVERAGE = 0.4  # of the text's content words, in the model's claims together
# A passage is judged only when one of its sentences holds this share of the claim's
# content words (and a second sentence joins its excerpt only with as much). Chosen with
# the stance thresholds (see answer/stance.py): at 0.4 the judge saw a claim's gold
# evidence for only about a quarter of the claims.
MIN_OVERLAP = 0.25
# Passages the model is asked about, per claim: those whose excerpts hold most of the
# claim's words among all the passages retrieved (ASSISTANT_TOP_K, 6). Judging all six
# found more of the gold evidence than judging four, on both halves of the claims
# (evidence recall 0.412 against 0.388 on the even half, 0.450 against 0.436 on the odd);
# each question costs about 0.6 s on 2 cores.
JUDGED_PASSAGES = 6


@dataclass(frozen=True)
class Evidence:
    quote: str
    passage: Passage
    verified: bool  # the quote occurs in the stored text of the passage
    stance: Stance = "supports"
    strength: float = 0.0  # how far the judge went past its threshold (see Judgement)
    outweighed: bool = False  # the other side was much stronger and decided the verdict


@dataclass(frozen=True)
class Judgement:
    """How one passage bears on a claim."""

    passage: Passage
    excerpt: str  # the sentences judged, taken from the passage
    verified: bool  # the excerpt is found in the stored passage text, so it may be quoted
    scores: StanceScores | None  # None when the model was not asked
    stance: Stance
    note: str = ""  # why a stance was set aside
    overlap: float = 0.0  # share of the claim's content words in the excerpt's best sentence
    # How far the judge's lift went past the threshold of the stance taken; for a passage
    # that took no side, how far the nearer stance stayed below it (negative).
    strength: float = 0.0

    @property
    def certainty(self) -> str:
        """How sure the judge was, in words ("" when it was not asked)."""
        return certainty(self.strength) if self.scores is not None else ""


@dataclass(frozen=True)
class ClaimCheck:
    claim: str
    verdict: Verdict
    evidence: list[Evidence] = field(default_factory=list)
    explanation: str = ""
    passages: list[Passage] = field(default_factory=list)
    note: str = ""  # anything a reader should know about how the verdict was reached
    judgements: list[Judgement] = field(default_factory=list)
    # When nothing settles the claim: the passage that came closest, to show why not.
    closest: Judgement | None = None


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
    """Claims, one per sentence; a stop not followed by a new sentence ("approx. two")
    does not split."""
    return [s.strip() for s in SENTENCE_BEGUN.split(text.strip()) if s.strip()]


# How a passage's stance is put to a reader, in the UI and the CLI alike.
STANCE_READINGS: dict[Stance, str] = {
    "supports": "supports the claim",
    "refutes": "contradicts the claim",
    "unclear": "does not settle the claim",
}


def reading(judgement: Judgement) -> str:
    """How one passage was read, in plain words: its stance, how sure the judge was, and
    why a stance was set aside."""
    how = STANCE_READINGS[judgement.stance]
    if judgement.note and judgement.scores is not None:
        # Set aside by a rule after the model read it as support.
        return f"{how} ({judgement.note}; the model alone read it as support)"
    if judgement.note:
        return f"{how} ({judgement.note})"
    if judgement.certainty:
        how += f" (judge: {judgement.certainty})"
    return how


def explain(judgements: Sequence[Judgement]) -> str:
    """One sentence per passage judged, in plain words."""
    return " ".join(
        f"Passage {number} ({j.passage.title}) {reading(j)}."
        for number, j in enumerate(judgements, start=1)
    )


def verdict_certainty(check: ClaimCheck) -> str:
    """How sure the judge was of the verdict, in words: from the strongest passage on the
    deciding side, or, when nothing settled the claim, the one that came closest."""
    if check.verdict == "NOT ENOUGH INFO":
        near = check.closest
        if near is None or near.scores is None:
            return "the model was not asked: no passage holds enough of the claim's words"
        return f"no passage took a side; the closest: {near.certainty}"
    sides = {"SUPPORTED": ("supports",), "REFUTED": ("refutes",)}.get(
        check.verdict, ("supports", "refutes")
    )
    strengths = [e.strength for e in check.evidence if e.stance in sides]
    return certainty(
        min(strengths, default=0.0)
        if check.verdict == "CONFLICTING"
        else max(strengths, default=0.0)
    )


def closest(judgements: Sequence[Judgement]) -> Judgement | None:
    """The passage nearest to settling the claim: of those the judge read, the one it came
    closest to taking a side on; else the one holding most of the claim's words."""
    asked = [j for j in judgements if j.scores is not None]
    if asked:
        return max(asked, key=lambda j: j.strength)
    return max(judgements, key=lambda j: j.overlap, default=None)


def overall_verdict(verdicts: Sequence[Verdict]) -> Verdict:
    """A text is as true as all its claims: one refuted claim refutes it, evidence both
    ways makes it conflicting, and one unsettled claim leaves it not settled."""
    if not verdicts:
        return "NOT ENOUGH INFO"
    for verdict in ("REFUTED", "CONFLICTING", "NOT ENOUGH INFO"):
        if verdict in verdicts:
            return verdict
    return "SUPPORTED"


class FactCheckChain:
    def __init__(
        self,
        llm: BaseChatModel,
        retrieve: Callable[[str, Filters | None], list[Passage]],
        prompts: PromptSet,
        min_relevance: float,
        evidence_passages: int = JUDGED_PASSAGES,
        judge: StanceJudge | None = None,
        min_overlap: float = MIN_OVERLAP,
    ) -> None:
        # A claim list is short: a bound on its length stops a rambling small model from
        # spending a minute on it (llama.cpp's server reads the bound from the request
        # body, as models.make_chat_model explains).
        self.split_llm = llm.bind(extra_body={"max_tokens": _SPLIT_TOKENS})
        self.retrieve = retrieve
        self.prompts = prompts
        self.min_relevance = min_relevance
        self.evidence_passages = evidence_passages
        self.judge = judge or StanceJudge(llm, prompts.judge)
        self.min_overlap = min_overlap

    # ---- claims ---------------------------------------------------------------------

    def _ask_split(self, messages: list[BaseMessage]) -> str:
        with model_errors():
            reply = self.split_llm.invoke(messages)
        return str(reply.content)

    def model_split(self, text: str) -> list[str] | None:
        """The model's list of claims: strict JSON, then one retry that shows the model
        its error, then a lenient reading. None when nothing usable came back."""
        messages = self.prompts.split.format_messages(text=text)
        first = self._ask_split(messages)
        claims, error = parse_claims_strict(first)
        if claims is not None:
            return claims
        retry = [
            *messages,
            AIMessage(content=first),
            HumanMessage(
                content=f"That reply cannot be used: {error}. Reply again with the JSON "
                'list only, for example ["Claim one.", "Claim two."]'
            ),
        ]
        second = self._ask_split(retry)
        claims, error = parse_claims_strict(second)
        if claims is not None:
            return claims
        log.info("Claim list read leniently (%s)", error)
        return parse_claims_lenient(second) or parse_claims_lenient(first)

    def split_claims(self, text: str) -> list[str]:
        """Atomic claims; a short single sentence is one already. The model's split is
        used only when every claim it returns keeps to the words of the text, and the
        claims together hold a fair part of its words."""
        sentences = sentence_split(text)
        if len(sentences) <= 1 and len(text.split()) <= _SHORT_CLAIM_WORDS:
            return [text.strip()]
        claims = self.model_split(text)
        source_words = set(query_terms(text))
        claim_words = {w for c in claims or [] for w in query_terms(c)}
        if (
            claims
            and all(
                len(set(query_terms(c)) & source_words) >= 0.6 * max(len(query_terms(c)), 1)
                for c in claims
            )
            # ...and together they cover the text, not a fragment or a quote from it.
            and len(claim_words & source_words) >= _MIN_COVERAGE * len(source_words)
        ):
            return claims[:_MAX_CLAIMS]
        log.info("Claim split by the model not usable (%r); splitting by sentence", claims)
        return sentences[:_MAX_CLAIMS]

    # ---- one claim ------------------------------------------------------------------

    def judge_passage(
        self, claim: str, passage: Passage, excerpt: Excerpt | None = None
    ) -> Judgement:
        excerpt = excerpt or evidence_excerpt(claim, passage.text, self.min_overlap)
        verified = quote_in(excerpt.text, passage.text)
        # A passage that hardly names what the claim is about cannot settle it, and the
        # small model is quick to say it does; what cannot be shown as a verified quote
        # cannot be evidence (too short to prove anything, say). Neither is asked about.
        not_asked = (
            "it shares too few of the claim's words"
            if excerpt.overlap < self.min_overlap
            else "its words cannot be quoted as evidence"
            if not verified
            else None
        )
        if not_asked:
            return Judgement(
                passage, excerpt.text, verified, None, "unclear", not_asked, excerpt.overlap
            )
        scores = self.judge.scores(excerpt.text, claim)
        stance = self.judge.stance(scores)
        strength = self.judge.strength(scores, stance)
        note = ""
        if stance == "supports" and speaks_of_plan(excerpt.best, claim):
            # Small models read "agreed to prepare a deal" as "signed a deal".
            stance, note = "unclear", "it speaks of a plan or preparation, not of a deed"
        return Judgement(
            passage, excerpt.text, verified, scores, stance, note, excerpt.overlap, strength
        )

    def check_claim(
        self, claim: str, filters: Filters | None = None, today: date | None = None
    ) -> ClaimCheck:
        """The retrieved passages whose excerpts hold most of the claim's words are judged
        one by one; the verdict weighs their stances, and the evidence shown is exactly
        the excerpts that took a side."""
        if today is not None and filters is None:
            filters = Filters(as_of=today)
        passages = relevant(self.retrieve(claim, filters), self.min_relevance)
        if not passages:
            return ClaimCheck(claim, "NOT ENOUGH INFO", explanation="No article covers it.")
        excerpts = [evidence_excerpt(claim, p.text, self.min_overlap) for p in passages]
        # Sentences, not passages, are what is judged: the best ones across everything
        # retrieved, whatever the passage's rank (stable: ties keep the retrieval order).
        order = sorted(range(len(passages)), key=lambda i: -excerpts[i].overlap)
        judgements = [
            self.judge_passage(claim, passages[i], excerpts[i])
            for i in order[: self.evidence_passages]
        ]
        # A verdict is only as good as its evidence: stances resting on an excerpt that
        # is not verbatim in the stored passage do not count.
        sided = [j for j in judgements if j.stance != "unclear" and j.verified]
        verdict = weigh([(j.stance, j.strength) for j in sided])
        deciding = {"SUPPORTED": "supports", "REFUTED": "refutes"}.get(verdict)
        evidence = [
            Evidence(
                j.excerpt,
                j.passage,
                j.verified,
                j.stance,
                j.strength,
                outweighed=deciding is not None and j.stance != deciding,
            )
            for j in sided
        ]
        notes = [f"passage {n}: {j.note}" for n, j in enumerate(judgements, 1) if j.note]
        return ClaimCheck(
            claim,
            verdict,
            evidence,
            explain(judgements),
            passages,
            "; ".join(notes),
            judgements,
            closest(judgements) if verdict == "NOT ENOUGH INFO" else None,
        )

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
