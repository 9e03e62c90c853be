"""Verdicts weighed by the strength of each passage, and how the Fact-check tab explains
them: crafted claims with a strong support and a weak refutation, and claims whose
sources disagree (a model that answers with log-probabilities, no server)."""

from __future__ import annotations

import math
from typing import Any

from assistant.answer.factcheck import JUDGED_PASSAGES, FactCheckChain, verdict_certainty
from assistant.answer.prompts import load_prompts
from assistant.answer.stance import REFUTE_LIFT, SUPPORT_LIFT
from assistant.answer.weighing import DOMINANCE, certainty, weigh
from assistant.app.web.tools import format_claim
from assistant.config import PROJECT_ROOT
from assistant.types import Filters, Passage
from tests.fakes.stance_model import PRIOR, StanceModel


def leaning(support: float = -10.0, refute: float = -10.0) -> dict[str, float]:
    """Answer probabilities that move TRUE and FALSE this far past (or, negative, short
    of) their thresholds against UNKNOWN, beyond the test model's prior."""
    true = math.exp(SUPPORT_LIFT + support) * PRIOR["TRUE"] / PRIOR["UNKNOWN"]
    false = math.exp(REFUTE_LIFT + refute) * PRIOR["FALSE"] / PRIOR["UNKNOWN"]
    unknown = 1.0 / (1.0 + true + false)
    return {"TRUE": true * unknown, "FALSE": false * unknown, "UNKNOWN": unknown}


STRONG, WEAK = DOMINANCE + 0.5, 0.1


def passage(chunk: str, text: str) -> Passage:
    return Passage(chunk, chunk, 0, text, f"Story {chunk}", "2024-04-02", "wire", "", 0.6)


def check(answers: dict[str, dict[str, float]], texts: list[str], claim: str) -> Any:
    found = [passage(f"p{n}", text) for n, text in enumerate(texts, start=1)]

    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        return found

    prompts = load_prompts(PROJECT_ROOT / "prompts")
    return FactCheckChain(StanceModel(answers=answers), retrieve, prompts, 0.2).check_claim(claim)


HARBOUR = [
    "The Quillmoor harbour reopened on Tuesday after the storm.",
    "A fisherman said the Quillmoor harbour was still closed to his boat on Tuesday.",
    "The Quillmoor harbour master is Ilse Varga.",
]
CLAIM = "The Quillmoor harbour reopened on Tuesday"


def test_weighing_rules() -> None:
    assert weigh([("supports", STRONG), ("refutes", WEAK)]) == "SUPPORTED"
    assert weigh([("supports", WEAK), ("refutes", STRONG)]) == "REFUTED"
    assert weigh([("supports", 1.0), ("refutes", 1.0)]) == "CONFLICTING"
    assert weigh([("supports", WEAK), ("supports", STRONG), ("refutes", STRONG)]) == "CONFLICTING"
    assert weigh([]) == "NOT ENOUGH INFO"
    assert certainty(STRONG) == "sure" and certainty(WEAK) == "only just"
    assert certainty(-0.05) == "nearly took a side" and certainty(-5) == "far from taking a side"


def test_a_strong_support_outweighs_a_weak_refutation(cache_dir: Any) -> None:
    result = check(
        {
            "reopened on Tuesday after": leaning(support=STRONG),
            "still closed": leaning(refute=WEAK),
        },
        HARBOUR,
        CLAIM,
    )
    assert result.verdict == "SUPPORTED"
    assert [(e.passage.chunk_id, e.stance, e.outweighed) for e in result.evidence] == [
        ("p1", "supports", False),
        ("p2", "refutes", True),
    ]
    assert verdict_certainty(result) == "sure"
    shown = format_claim(result)
    assert "✅ SUPPORTED" in shown and "How sure: sure" in shown
    assert "Supported by:" in shown and "Contradicting, but outweighed by the support:" in shown
    assert "still closed to his boat" in shown  # the weak refutation is shown, not hidden


def test_a_strong_refutation_outweighs_a_weak_support(cache_dir: Any) -> None:
    result = check(
        {
            "reopened on Tuesday after": leaning(support=WEAK),
            "still closed": leaning(refute=STRONG),
        },
        HARBOUR,
        CLAIM,
    )
    assert result.verdict == "REFUTED"
    assert [e.outweighed for e in result.evidence] == [True, False]


def test_sources_that_disagree_make_the_claim_conflicting_with_both_sides_shown(
    cache_dir: Any,
) -> None:
    result = check(
        {"reopened on Tuesday after": leaning(support=1.0), "still closed": leaning(refute=1.2)},
        HARBOUR,
        CLAIM,
    )
    assert result.verdict == "CONFLICTING"
    sides = {e.stance: e for e in result.evidence}
    assert sides["supports"].passage.chunk_id == "p1" and sides["supports"].verified
    assert sides["refutes"].passage.chunk_id == "p2" and sides["refutes"].verified
    assert not any(e.outweighed for e in result.evidence)
    shown = format_claim(result)
    assert "⚖️ CONFLICTING" in shown
    supported, contradicted = shown.index("Supported by:"), shown.index("Contradicted by:")
    assert supported < shown.index("reopened on Tuesday after the storm") < contradicted
    assert contradicted < shown.index("still closed to his boat")
    assert shown.count("✓ verified quote") == 2


def test_a_claim_nothing_settles_shows_the_closest_passage_and_why(cache_dir: Any) -> None:
    result = check(
        {"reopened on Tuesday after": leaning(support=-0.05)},
        HARBOUR,
        CLAIM,
    )
    assert result.verdict == "NOT ENOUGH INFO" and result.evidence == []
    assert result.closest is not None and result.closest.passage.chunk_id == "p1"
    shown = format_claim(result)
    assert "No passage in the articles settles this claim" in shown
    assert "closest: does not settle the claim (judge: nearly took a side)" in shown
    assert "“The Quillmoor harbour reopened on Tuesday after the storm.”" in shown
    assert "How sure: no passage took a side; the closest: nearly took a side" in shown
    # Every passage considered is listed with how it was read.
    assert shown.count("- Passage ") == 3


def test_passages_beyond_those_judged_are_listed_as_not_judged(cache_dir: Any) -> None:
    texts = [f"Boats {n} left the bay." for n in range(5)] + HARBOUR
    result = check({}, texts, CLAIM)
    assert len(result.passages) == 8 and len(result.judgements) == JUDGED_PASSAGES
    # The judged ones are those holding most of the claim's words, whatever their rank.
    assert {j.passage.chunk_id for j in result.judgements} >= {"p6", "p7"}
    shown = format_claim(result)
    left = "not judged, its sentences hold fewer of the claim's words"
    assert shown.count(left) == 8 - JUDGED_PASSAGES
