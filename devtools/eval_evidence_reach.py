"""``assistant eval claim-reach``: without the model, how often a claim's gold evidence is
among the passages the judge would be asked about, by selection rule and word-share gate.

This bounds the fact-check chain's evidence recall: a sentence the judge never reads cannot
be shown. Retrieval and excerpts are the chain's own (``Retriever.retrieve`` with the
relevance floor, ``evidence_excerpt``); no model is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assistant.answer.excerpts import evidence_excerpt
from assistant.search.retriever import relevant
from assistant.types import Filters, Passage
from devtools.eval_claims import GoldClaim, Split, in_split


@dataclass(frozen=True)
class Selection:
    label: str
    judged: int
    by_overlap: bool
    gate: float


SELECTIONS = (
    Selection("first 4 by rank", 4, False, 0.4),
    Selection("4 holding most words", 4, True, 0.4),
    Selection("all retrieved", 6, False, 0.4),
    Selection("4 holding most words", 4, True, 0.3),
    Selection("4 holding most words", 4, True, 0.25),
    Selection("all retrieved", 6, False, 0.25),
)


def evidence_reach(
    claims: Sequence[GoldClaim],
    retrieve: Callable[[str, Filters | None], list[Passage]],
    min_relevance: float,
    selections: Sequence[Selection] = SELECTIONS,
) -> list[dict[str, object]]:
    """Per selection and half: the share of claims with gold evidence whose gold sentence
    would be judged, and the stance questions per claim it would cost."""
    found: list[tuple[GoldClaim, list[tuple[str, int, float]]]] = []
    for claim in claims:
        passages = relevant(retrieve(claim.text, None), min_relevance)
        found.append(
            (
                claim,
                [
                    (p.article_id, rank, evidence_excerpt(claim.text, p.text, 0.4).overlap)
                    for rank, p in enumerate(passages)
                ],
            )
        )
    rows: list[dict[str, object]] = []
    halves: tuple[Split, ...] = ("even", "odd")
    for selection in selections:
        for half in halves:
            group = [(c, ps) for c, ps in found if in_split(c.id, half)]
            with_gold = [(c, ps) for c, ps in group if c.evidence]
            asked = reached = 0
            for claim, ranked in group:
                order = sorted(
                    ranked, key=lambda r: (-r[2], r[1]) if selection.by_overlap else r[1]
                )
                judged = [r for r in order[: selection.judged] if r[2] >= selection.gate]
                asked += len(judged)
                reached += bool(claim.evidence & {r[0] for r in judged})
            rows.append(
                {
                    "selection": selection.label,
                    "gate": selection.gate,
                    "half": half,
                    "claims": len(group),
                    "gold_judged": reached / max(len(with_gold), 1),
                    "questions_per_claim": asked / max(len(group), 1),
                }
            )
    return rows
