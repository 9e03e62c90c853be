"""``assistant eval claims``: fact-check verdicts and their evidence against gold labels.

The data folder holds ``corpus.jsonl`` (evidence sentences, each stored as an article whose
id is the sentence id) and ``claims.jsonl`` (``id``, ``claim``, ``verdict``, ``evidence``:
``[{"id", "label"}]``), as in CLIMATE-FEVER. Each claim goes through the fact-check chain
through the entry point the Fact-check tab uses (``FactCheckChain.check``: a long claim is
first split into parts by the model, and the text's overall verdict is what is scored); a
claim that fails is counted as wrong, never fatal.

Metrics are plain Python: accuracy, macro-F1 over the four verdicts (a verdict with no gold
and no predicted claim scores F1 0, as scikit-learn does with ``labels`` given), a confusion
matrix, evidence recall, the share of shown quotes found again in the corpus file (the
sentence's own text there, never the stored passage), and the always-majority-class
baseline on the same claims.

``--split odd|even`` keeps one half of the claims, so thresholds chosen on one half are
checked on the other. The claims' ids in CLIMATE-FEVER's development file are all even (the
odd ones are held back), so the half is the parity of a stable hash (CRC-32) of the id:
every claim always falls in the same half, whatever the order or the limit.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

from assistant.answer.factcheck import ClaimCheck, Claims, FactCheck, FactCheckEvent
from assistant.answer.quotes import quote_in
from assistant.answer.verdict_parsing import VERDICTS, canonical_verdict
from assistant.errors import ConfigError
from assistant.index.store import ArticleStore
from assistant.ingest.sync import SyncReport, ingest_paths
from assistant.types import Filters, Verdict
from devtools.eval_io import read_jsonl

# Evidence labels that make a sentence gold evidence for the claim.
_GOLD_EVIDENCE_LABELS = frozenset({"SUPPORTED", "REFUTED"})
_SHORT = {
    "SUPPORTED": "SUP",
    "REFUTED": "REF",
    "CONFLICTING": "CONF",
    "NOT ENOUGH INFO": "NEI",
    "FAILED": "FAIL",
}


Split = Literal["odd", "even"]
# What an outcome that failed is scored as: wrong whatever the gold verdict.
FAILED = "FAILED"


class ClaimChecker(Protocol):
    """What is measured: a FactCheckChain, or something that hands each text to one."""

    def check(
        self, text: str, filters: Filters | None = None, today: date | None = None
    ) -> Iterator[FactCheckEvent]: ...


def in_split(claim_id: str, split: Split | None) -> bool:
    """Whether a claim belongs to the half asked for (None: every claim)."""
    if split is None:
        return True
    return zlib.crc32(claim_id.encode("utf-8")) % 2 == (1 if split == "odd" else 0)


@dataclass(frozen=True)
class GoldClaim:
    id: str
    text: str
    verdict: Verdict
    # Sentences annotators labelled SUPPORTED or REFUTED for this claim.
    evidence: frozenset[str]


@dataclass(frozen=True)
class ClaimOutcome:
    id: str
    gold: Verdict
    predicted: Verdict | None  # None when checking the claim failed
    seconds: float
    parts: int = 1  # the claims the text was split into
    shown_ids: tuple[str, ...] = ()  # sentence ids of the verified evidence shown
    shown_quotes: int = 0  # evidence with verified=True: what a reader sees
    quotes_in_corpus: int = 0  # of those, found again in the corpus file's sentence text
    dropped_quotes: int = 0  # excerpts not found verbatim in their passage, never shown
    gold_evidence: tuple[str, ...] = ()
    note: str = ""
    error: str = ""
    # How each passage was read (see _readings), for choosing thresholds on one half.
    readings: tuple[dict[str, Any], ...] = ()


def gold_verdict(label: str) -> Verdict:
    """The chain's spelling of a gold label ("NOT_ENOUGH_INFO" is "NOT ENOUGH INFO")."""
    verdict = canonical_verdict(label)
    if verdict is None:
        raise ValueError(f"unknown verdict {label!r}")
    return verdict


def load_claims(
    path: Path, limit: int | None = None, split: Split | None = None
) -> list[GoldClaim]:
    """The claims of the file, or of one half of it; ``limit`` counts within the half."""
    claims: list[GoldClaim] = []
    for lineno, record in read_jsonl(path, "claims"):
        if limit is not None and len(claims) >= limit:
            break
        if isinstance(record, dict) and not in_split(str(record.get("id", "")), split):
            continue
        try:
            evidence = frozenset(
                str(e["id"])
                for e in record.get("evidence") or []
                if gold_verdict(e["label"]) in _GOLD_EVIDENCE_LABELS
            )
            claims.append(
                GoldClaim(
                    str(record["id"]), record["claim"], gold_verdict(record["verdict"]), evidence
                )
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}, line {lineno}: not a claim record ({exc})") from exc
    return claims


def load_sentences(path: Path) -> dict[str, str]:
    """The evidence sentences by id, as the corpus file gives them."""
    sentences = {}
    for lineno, record in read_jsonl(path, "evidence sentences"):
        try:
            sentences[str(record["id"])] = str(record["text"])
        except (KeyError, TypeError) as exc:
            raise ConfigError(f"{path}, line {lineno}: not a sentence record ({exc})") from exc
    return sentences


def ingest_corpus(
    store: ArticleStore,
    data_dir: Path,
    max_file_mb: float,
    progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    corpus = data_dir / "corpus.jsonl"
    if not corpus.is_file():
        raise ConfigError(f"{corpus} is missing: the data folder needs corpus.jsonl.")
    return ingest_paths(store, [corpus], max_file_mb, progress)


# ---- metrics ------------------------------------------------------------------------


def confusion(
    gold: Sequence[str],
    predicted: Sequence[str],
    labels: Sequence[str] = VERDICTS,
    columns: Sequence[str] | None = None,
) -> dict[str, dict[str, int]]:
    """Counts by gold label (rows) and predicted label (columns: the labels, unless
    ``columns`` adds one such as a failure)."""
    matrix = {g: dict.fromkeys(columns or labels, 0) for g in labels}
    for g, p in zip(gold, predicted, strict=True):
        matrix[g][p] += 1
    return matrix


def accuracy(gold: Sequence[str], predicted: Sequence[str]) -> float:
    if not gold:
        return 0.0
    return sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)


def per_class_f1(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = VERDICTS
) -> dict[str, float]:
    """F1 of each label; 0 where precision or recall is undefined."""
    scores = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        scores[label] = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return scores


def macro_f1(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str] = VERDICTS
) -> float:
    scores = per_class_f1(gold, predicted, labels)
    return sum(scores.values()) / len(labels) if labels else 0.0


def majority_baseline(gold: Sequence[str], labels: Sequence[str] = VERDICTS) -> dict[str, Any]:
    """Always answering the commonest gold verdict (ties: the first in ``labels``)."""
    if not gold:
        return {"verdict": None, "accuracy": 0.0, "macro_f1": 0.0}
    counts = Counter(gold)
    majority = max(labels, key=lambda label: (counts[label], -labels.index(label)))
    always = [majority] * len(gold)
    return {
        "verdict": majority,
        "accuracy": accuracy(gold, always),
        "macro_f1": macro_f1(gold, always, labels),
    }


def evidence_recall(outcomes: Sequence[ClaimOutcome]) -> tuple[float | None, int]:
    """Share of the claims with gold evidence whose shown evidence includes a gold sentence,
    and how many claims that is over."""
    eligible = [o for o in outcomes if o.gold_evidence]
    if not eligible:
        return None, 0
    found = sum(bool(set(o.shown_ids) & set(o.gold_evidence)) for o in eligible)
    return found / len(eligible), len(eligible)


# ---- running ------------------------------------------------------------------------


def _quote_in_corpus(quote: str, sentence_id: str, sentences: dict[str, str]) -> bool:
    """The quote occurs in the corpus file's own text of that sentence; a sentence the file
    does not hold finds nothing."""
    text = sentences.get(sentence_id)
    return text is not None and quote_in(quote, text)


def _readings(checks: Sequence[ClaimCheck]) -> tuple[dict[str, Any], ...]:
    """How each judged passage was read, with what chose it (its retrieval rank and the
    share of the claim's words it holds) and the model's lifts (None: not asked)."""
    return tuple(
        {
            "part": part,
            "id": j.passage.article_id,
            "rank": [p.chunk_id for p in check.passages].index(j.passage.chunk_id),
            "overlap": round(j.overlap, 3),
            "excerpt": j.excerpt,
            "stance": j.stance,
            "support_lift": None if j.scores is None else round(j.scores.support_lift, 3),
            "refute_lift": None if j.scores is None else round(j.scores.refute_lift, 3),
            "note": j.note,
        }
        for part, check in enumerate(checks)
        for j in check.judgements
    )


def check_one(
    factcheck: ClaimChecker,
    claim: GoldClaim,
    sentences: dict[str, str],
    today: date | None = None,
) -> ClaimOutcome:
    """One claim through the Fact-check tab's path; a failure becomes an outcome with the
    error, scored as wrong."""
    start = time.perf_counter()
    parts, checks, overall = 1, [], None
    try:
        for event in factcheck.check(claim.text, Filters(), today):
            if isinstance(event, Claims):
                parts = len(event.claims)
            elif isinstance(event, ClaimCheck):
                checks.append(event)
            elif isinstance(event, FactCheck):
                overall = event.overall
        if overall is None:
            raise RuntimeError("the check ended without a verdict")
    except Exception as exc:  # one bad claim must not end a long run
        return ClaimOutcome(
            claim.id,
            claim.verdict,
            None,
            time.perf_counter() - start,
            parts,
            gold_evidence=tuple(sorted(claim.evidence)),
            error=f"{type(exc).__name__}: {exc}",
        )
    seconds = time.perf_counter() - start
    shown = [e for check in checks for e in check.evidence if e.verified]
    return ClaimOutcome(
        claim.id,
        claim.verdict,
        overall,
        seconds,
        parts,
        shown_ids=tuple(dict.fromkeys(e.passage.article_id for e in shown)),
        shown_quotes=len(shown),
        quotes_in_corpus=sum(
            _quote_in_corpus(e.quote, e.passage.article_id, sentences) for e in shown
        ),
        dropped_quotes=sum(not e.verified for check in checks for e in check.evidence),
        gold_evidence=tuple(sorted(claim.evidence)),
        note="; ".join(check.note for check in checks if check.note),
        readings=_readings(checks),
    )


def progress_line(number: int, total: int, outcome: ClaimOutcome) -> str:
    head = f"[{number}/{total}] claim {outcome.id}:"
    if outcome.error:
        return f"{head} ERROR {outcome.error} ({outcome.seconds:.1f} s)"
    mark = "right" if outcome.predicted == outcome.gold else "wrong"
    split = f", split into {outcome.parts}" if outcome.parts > 1 else ""
    return (
        f"{head} {outcome.predicted} (gold {outcome.gold}: {mark}{split}), "
        f"{outcome.shown_quotes} quote(s) shown, {outcome.seconds:.1f} s"
    )


def evaluate_claims(
    factcheck: ClaimChecker,
    claims: Sequence[GoldClaim],
    sentences: dict[str, str] | None = None,
    progress: Callable[[str], None] | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Check every claim and score the verdicts and evidence. ``sentences`` (id -> text)
    is the corpus file, to find the shown quotes again independently of the store."""
    outcomes = []
    for number, claim in enumerate(claims, start=1):
        outcome = check_one(factcheck, claim, sentences or {}, today)
        outcomes.append(outcome)
        if progress is not None:
            progress(progress_line(number, len(claims), outcome))
    return score_outcomes(outcomes)


def score_outcomes(outcomes: Sequence[ClaimOutcome]) -> dict[str, Any]:
    """Every claim is scored, as a reader would meet it: one that failed counts as wrong
    (its gold verdict missed, no other verdict credited) and shows no evidence."""
    gold: list[str] = [o.gold for o in outcomes]
    predicted: list[str] = [o.predicted or FAILED for o in outcomes]
    recall, recall_over = evidence_recall(outcomes)
    shown = sum(o.shown_quotes for o in outcomes)
    dropped = sum(o.dropped_quotes for o in outcomes)
    seconds = [o.seconds for o in outcomes]
    true_claims = [p for g, p in zip(gold, predicted, strict=True) if g == "SUPPORTED"]
    return {
        "claims": len(outcomes),
        "errors": sum(o.predicted is None for o in outcomes),
        "split_into_parts": sum(o.parts > 1 for o in outcomes),
        "accuracy": accuracy(gold, predicted),
        "macro_f1": macro_f1(gold, predicted),
        "f1": per_class_f1(gold, predicted),
        "confusion": confusion(gold, predicted, columns=(*VERDICTS, FAILED)),
        "gold_counts": {v: gold.count(v) for v in VERDICTS},
        "predicted_counts": {v: predicted.count(v) for v in (*VERDICTS, FAILED)},
        "recall_of_true_claims": (
            true_claims.count("SUPPORTED") / len(true_claims) if true_claims else None
        ),
        "evidence_recall": recall,
        "evidence_recall_claims": recall_over,
        "quotes_shown": shown,
        "quotes_shown_found_in_corpus": sum(o.quotes_in_corpus for o in outcomes),
        "quotes_shown_share_verified": (
            sum(o.quotes_in_corpus for o in outcomes) / shown if shown else None
        ),
        "quotes_dropped_unverified": dropped,
        "excerpts_share_verified": shown / (shown + dropped) if shown + dropped else None,
        "majority_baseline": majority_baseline(gold),
        "seconds_per_claim": sum(seconds) / len(seconds) if seconds else 0.0,
        "seconds_total": sum(seconds),
        "outcomes": [asdict(o) for o in outcomes],
    }


def _figure(value: float | None, digits: int = 3) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def format_claims(results: dict[str, Any]) -> str:
    lines = [
        f"{results['claims']} claims, {results['errors']} error(s) (scored as wrong), "
        f"{results['split_into_parts']} split into parts; "
        f"{results['seconds_per_claim']:.1f} s per claim",
        "",
        f"{'':24}{'accuracy':>10}{'macro-F1':>10}",
        f"{'fact-check chain':24}{results['accuracy']:10.3f}{results['macro_f1']:10.3f}",
    ]
    base = results["majority_baseline"]
    label = f"always {_SHORT.get(base['verdict'], base['verdict'])}"
    lines.append(f"{label:24}{base['accuracy']:10.3f}{base['macro_f1']:10.3f}")
    lines += [
        "",
        "F1 by verdict: " + ", ".join(f"{_SHORT[v]} {f:.3f}" for v, f in results["f1"].items()),
    ]
    lines.append(f"Recall of true claims: {_figure(results['recall_of_true_claims'])}")
    columns = (*VERDICTS, FAILED)
    lines += ["", "Confusion (rows gold, columns predicted):"]
    lines.append(f"{'':8}" + "".join(f"{_SHORT[v]:>7}" for v in columns) + f"{'total':>8}")
    for gold, row in results["confusion"].items():
        cells = "".join(f"{row[v]:7d}" for v in columns)
        lines.append(f"{_SHORT[gold]:8}{cells}{sum(row.values()):8d}")
    shown = results["quotes_shown"]
    lines += [
        "",
        f"Evidence recall: {_figure(results['evidence_recall'])} "
        f"(over {results['evidence_recall_claims']} claims with SUPPORTED/REFUTED "
        "gold evidence; a shown verified quote from a gold sentence)",
        f"Quotes shown: {shown}, found again in corpus.jsonl: "
        f"{results['quotes_shown_found_in_corpus']} "
        f"(share {_figure(results['quotes_shown_share_verified'])})",
        f"Evidence excerpts set aside as not verbatim: {results['quotes_dropped_unverified']} "
        f"(share verified: {_figure(results['excerpts_share_verified'])})",
    ]
    return "\n".join(lines)
