"""``assistant eval claim-thresholds``: choose the fact-check chain's thresholds on recorded
judgements, without asking the model again.

``assistant eval claims --judge-all --json`` records, for every retrieved passage of every
claim, the share of the claim's words its excerpt holds, its retrieval rank and the judge's
two lifts. The chain's verdict is a function of those and of a few settings (how many
passages are judged and in which order, the word-share gate, the lifts and margins each
stance needs, the dominance of one side over the other, the plan rule). Replaying the
recorded judgements under other settings gives exactly the verdicts the chain would give,
so the settings can be chosen on one half of the claims and checked on the other.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from assistant.answer.factcheck import JUDGED_PASSAGES, MIN_OVERLAP, overall_verdict
from assistant.answer.plans import speaks_of_plan
from assistant.answer.stance import FACT_CHECK, NO_MARGIN, Stance, StanceScores, Thresholds
from assistant.answer.weighing import DOMINANCE, weigh
from assistant.errors import ConfigError
from assistant.types import Verdict
from devtools.eval_claims import FAILED, accuracy, macro_f1


@dataclass(frozen=True)
class ChainSettings:
    """The fact check's settings; the defaults are the chain's own."""

    judged: int = JUDGED_PASSAGES  # passages judged per claim
    by_overlap: bool = True  # the passages holding most of the claim's words, else by rank
    min_overlap: float = MIN_OVERLAP
    support_lift: float = FACT_CHECK.support_lift
    refute_lift: float = FACT_CHECK.refute_lift
    support_margin: float = FACT_CHECK.support_margin
    refute_margin: float = FACT_CHECK.refute_margin
    dominance: float = DOMINANCE  # inf: passages both ways are always CONFLICTING
    plan_rule: bool = True

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(
            self.support_lift, self.refute_lift, self.support_margin, self.refute_margin
        )


@dataclass(frozen=True)
class Recorded:
    """One claim of a recorded run: its text, gold verdict and evidence, and how each of
    its retrieved passages was read, by claim part."""

    id: str
    claim: str
    gold: str
    gold_evidence: tuple[str, ...]
    parts: tuple[tuple[dict[str, Any], ...], ...]
    failed: bool


def load_recorded(path: Path, claims: dict[str, str]) -> list[Recorded]:
    """The outcomes of an ``eval claims --json`` results file (or JSON Lines of outcomes)."""
    try:
        text = path.read_text(encoding="utf-8")
        whole = json.loads(text) if text.lstrip().startswith("{") and "\n{" not in text else None
        outcomes = (
            whole["outcomes"]
            if isinstance(whole, dict) and "outcomes" in whole
            else [json.loads(line) for line in text.splitlines() if line.strip()]
        )
    except (OSError, ValueError, KeyError) as exc:
        raise ConfigError(f"{path}: not the results of `assistant eval claims` ({exc})") from exc
    recorded = []
    for o in outcomes:
        parts: dict[int, list[dict[str, Any]]] = {}
        claim = claims.get(o["id"], "")
        for reading in o.get("readings") or []:
            # The plan rule depends on the words alone: read once, not per setting tried.
            plan = speaks_of_plan(reading.get("excerpt", ""), claim)
            parts.setdefault(int(reading.get("part", 0)), []).append({**reading, "plan": plan})
        recorded.append(
            Recorded(
                o["id"],
                claim,
                o["gold"],
                tuple(o.get("gold_evidence") or ()),
                tuple(tuple(parts[p]) for p in sorted(parts)) or ((),),
                o["predicted"] is None,
            )
        )
    return recorded


def replay_part(
    readings: Sequence[dict[str, Any]], settings: ChainSettings
) -> tuple[Verdict, list[str], int]:
    """(verdict, ids of the passages shown, model questions asked) for one claim part."""
    order = sorted(
        readings,
        key=lambda r: (-r["overlap"], r["rank"]) if settings.by_overlap else (r["rank"],),
    )
    thresholds = settings.thresholds
    sided: list[tuple[Stance, float, str]] = []
    asked = 0
    for reading in order[: settings.judged]:
        lifts = reading["support_lift"], reading["refute_lift"]
        if reading["overlap"] < settings.min_overlap or lifts[0] is None or lifts[1] is None:
            continue
        asked += 1
        scores = StanceScores(*lifts)
        stance = thresholds.decide(scores)
        if stance == "unclear" or (stance == "supports" and settings.plan_rule and reading["plan"]):
            continue
        sided.append((stance, thresholds.strength(scores, stance), reading["id"]))
    verdict = weigh([(s, x) for s, x, _ in sided], settings.dominance)
    return verdict, [i for _, _, i in sided], asked


def replay(records: Iterable[Recorded], settings: ChainSettings) -> dict[str, Any]:
    """The figures the chain would reach with these settings."""
    gold: list[str] = []
    predicted: list[str] = []
    evidence_found = evidence_claims = asked = 0
    for record in records:
        if record.failed:
            verdict, shown = FAILED, []
        else:
            results = [replay_part(p, settings) for p in record.parts]
            verdict = overall_verdict([r[0] for r in results])
            shown = [i for r in results for i in r[1]]
            asked += sum(r[2] for r in results)
        gold.append(record.gold)
        predicted.append(verdict)
        if record.gold_evidence:
            evidence_claims += 1
            evidence_found += bool(set(shown) & set(record.gold_evidence))
    true_claims = [p for g, p in zip(gold, predicted, strict=True) if g == "SUPPORTED"]
    return {
        "claims": len(gold),
        "accuracy": accuracy(gold, predicted),
        "macro_f1": macro_f1(gold, predicted),
        "recall_of_true_claims": true_claims.count("SUPPORTED") / max(len(true_claims), 1),
        "evidence_recall": evidence_found / max(evidence_claims, 1),
        "questions_per_claim": asked / max(len(gold), 1),
    }


# The word-share gate of an `eval claims --judge-all` run: what it records, the grid can
# replay from (the excerpts it records were cut at this gate too).
JUDGE_ALL_GATE = 0.25
# The lifts the bundled model gives lie between 3 and 5.5 for nearly every passage it is
# asked about.
GRID: dict[str, Sequence[Any]] = {
    "judged": (2, 4, 6),
    "by_overlap": (True,),
    "min_overlap": (JUDGE_ALL_GATE, 0.3, 0.4),
    "support_lift": (3.5, 3.75, 4.0),
    "refute_lift": (3.75, 4.0, 4.25),
    "support_margin": (NO_MARGIN, -0.3, -0.2, -0.1, 0.0, 0.1),
    "refute_margin": (NO_MARGIN, 0.2, 0.3, 0.4, 0.5),
    "dominance": (0.1, 0.2, 0.3, 0.5, float("inf")),
    "plan_rule": (True,),
}


def choose(records: Sequence[Recorded], grid: dict[str, Sequence[Any]] = GRID) -> ChainSettings:
    """The settings with the best macro-F1 on these records (ties: fewer model questions,
    then the order of the grid)."""
    best: tuple[float, float] | None = None
    chosen = ChainSettings()
    for values in itertools.product(*grid.values()):
        settings = ChainSettings(**dict(zip(grid, values, strict=True)))
        figures = replay(records, settings)
        key = (round(figures["macro_f1"], 6), -figures["questions_per_claim"])
        if best is None or key > best:
            best, chosen = key, settings
    return chosen


def describe(settings: ChainSettings) -> str:
    return ", ".join(f"{k} {v}" for k, v in asdict(settings).items())
