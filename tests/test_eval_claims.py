"""``assistant eval claims``: the metrics by hand, and the wiring with a fake chat model over
a store in a temporary folder (no model server, no ../shared data)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.answer.factcheck import ClaimCheck, FactCheckChain
from assistant.app.compose import Services, build_services
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.types import Filters
from devtools.eval_claims import (
    ClaimOutcome,
    accuracy,
    confusion,
    evaluate_claims,
    evidence_recall,
    format_claims,
    gold_verdict,
    ingest_corpus,
    load_claims,
    load_sentences,
    macro_f1,
    majority_baseline,
    per_class_f1,
)
from tests.fakes.stance_model import SUPPORTS, StanceModel

S, R, C, N = "SUPPORTED", "REFUTED", "CONFLICTING", "NOT ENOUGH INFO"

SENTENCES = [
    {
        "id": "s1",
        "title": "Polar bear",
        "text": "Rising global temperatures endanger the polar bear by melting its sea ice.",
        "source": "wikipedia",
    },
    {
        "id": "s2",
        "title": "Great Barrier Reef",
        "text": "The Great Barrier Reef suffered its most widespread coral bleaching in 2016.",
        "source": "wikipedia",
    },
    {
        "id": "s3",
        "title": "Volcano",
        "text": "Volcanic eruptions emit far less carbon dioxide than human activities do.",
        "source": "wikipedia",
    },
]
CLAIMS = [
    {
        "id": "1",
        "claim": "Global warming endangers the polar bear.",
        "verdict": "SUPPORTED",
        "evidence": [{"id": "s1", "label": "SUPPORTED"}, {"id": "s2", "label": "NOT_ENOUGH_INFO"}],
    },
    {
        "id": "2",
        "claim": "Volcanoes emit more carbon dioxide than humans.",
        "verdict": "REFUTED",
        "evidence": [{"id": "s3", "label": "REFUTED"}],
    },
    {
        "id": "3",
        "claim": "The Great Barrier Reef had its worst coral bleaching.",
        "verdict": "NOT_ENOUGH_INFO",
        "evidence": [{"id": "s2", "label": "NOT_ENOUGH_INFO"}],
    },
]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")


# How the model judges each claim's passages: claim 1 is supported by its gold sentence;
# claim 2's passages settle nothing (NOT ENOUGH INFO, gold REFUTED); claim 3 is wrongly
# taken as supported by a sentence annotators called not enough info.
ANSWERS = {
    "polar bear by melting|Claim: Global warming endangers": SUPPORTS,
    "Great Barrier Reef suffered|Claim: The Great Barrier Reef": SUPPORTS,
}


def stance_model() -> StanceModel:
    return StanceModel(answers=ANSWERS)


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "claims"
    folder.mkdir()
    write_jsonl(folder / "corpus.jsonl", SENTENCES)
    write_jsonl(folder / "claims.jsonl", CLAIMS)
    return folder


# ---- metrics ------------------------------------------------------------------------


def test_gold_labels_take_the_chains_spelling() -> None:
    assert gold_verdict("NOT_ENOUGH_INFO") == N
    assert gold_verdict("SUPPORTED") == S and gold_verdict("DISPUTED") == C
    with pytest.raises(ValueError):
        gold_verdict("MAYBE")


def test_confusion_rows_are_gold_and_columns_predicted() -> None:
    gold = [S, S, R, N]
    predicted = [S, R, R, N]
    matrix = confusion(gold, predicted)
    assert list(matrix) == [S, R, C, N] and list(matrix[S]) == [S, R, C, N]
    assert matrix[S] == {S: 1, R: 1, C: 0, N: 0}
    assert matrix[R][R] == 1 and matrix[N][N] == 1
    assert sum(sum(row.values()) for row in matrix.values()) == 4
    assert accuracy(gold, predicted) == 0.75


def test_macro_f1_over_the_four_verdicts() -> None:
    gold = [S, S, R, N]
    predicted = [S, R, R, N]
    f1 = per_class_f1(gold, predicted)
    # SUPPORTED: tp 1, fn 1 -> 2/3; REFUTED: tp 1, fp 1 -> 2/3; CONFLICTING absent -> 0.
    assert f1 == pytest.approx({S: 2 / 3, R: 2 / 3, C: 0.0, N: 1.0})
    assert macro_f1(gold, predicted) == pytest.approx((2 / 3 + 2 / 3 + 0 + 1) / 4)
    assert macro_f1(gold, gold, labels=[S, R, N]) == 1.0
    assert macro_f1([], []) == 0.0


def test_majority_baseline() -> None:
    base = majority_baseline([S, S, R, N])
    assert base["verdict"] == S and base["accuracy"] == 0.5
    # SUPPORTED: tp 2, fp 2 -> F1 2/3; the other three 0.
    assert base["macro_f1"] == pytest.approx(2 / 3 / 4)
    assert majority_baseline([N, R, R, N])["verdict"] == R  # a tie: the first verdict listed
    assert majority_baseline([])["accuracy"] == 0.0


def outcome(gold_evidence: tuple[str, ...], shown: tuple[str, ...]) -> ClaimOutcome:
    return ClaimOutcome("x", S, S, 1.0, shown_ids=shown, gold_evidence=gold_evidence)


def test_evidence_recall_counts_only_claims_with_gold_evidence() -> None:
    outcomes = [
        outcome(("a", "b"), ("b", "z")),  # found
        outcome(("c",), ("z",)),  # missed
        outcome(("d",), ()),  # nothing shown: missed
        outcome((), ("q",)),  # no gold evidence: not counted
    ]
    assert evidence_recall(outcomes) == (pytest.approx(1 / 3), 3)
    assert evidence_recall([outcome((), ())]) == (None, 0)


def test_loading_claims_maps_labels_and_keeps_gold_evidence(data: Path) -> None:
    claims = load_claims(data / "claims.jsonl")
    assert [c.verdict for c in claims] == [S, R, N]
    assert claims[0].evidence == frozenset({"s1"})  # the NOT_ENOUGH_INFO sentence is not gold
    assert claims[2].evidence == frozenset()
    assert len(load_claims(data / "claims.jsonl", limit=2)) == 2
    assert load_sentences(data / "corpus.jsonl")["s3"].startswith("Volcanic")
    (data / "bad.jsonl").write_text('{"id": "1", "claim": "x", "verdict": "MAYBE"}\n')
    with pytest.raises(ConfigError, match="line 1"):
        load_claims(data / "bad.jsonl")
    with pytest.raises(ConfigError, match="missing"):
        load_claims(data / "nothing.jsonl")


# ---- wiring with a fake chat model ----------------------------------------------------


@pytest.fixture
def services(settings: Settings, data: Path) -> Services:
    services = build_services(settings)
    report = ingest_corpus(services.store, data, settings.max_file_mb)
    assert report.added == 3
    return services


def fake_factcheck(services: Services) -> FactCheckChain:
    return FactCheckChain(
        stance_model(),
        services.retriever.retrieve,
        services.prompts,
        services.settings.min_relevance,
    )


class Failing:
    """A chain that fails on one claim: the run goes on and counts it."""

    def __init__(self, chain: FactCheckChain, bad: str) -> None:
        self.chain, self.bad = chain, bad

    def check_claim(
        self, claim: str, filters: Filters | None = None, today: date | None = None
    ) -> ClaimCheck:
        if claim == self.bad:
            raise RuntimeError("model server went away")
        return self.chain.check_claim(claim, filters, today)


def test_evaluate_claims_with_a_fake_model(services: Services, data: Path) -> None:
    claims = load_claims(data / "claims.jsonl")
    lines: list[str] = []
    results = evaluate_claims(
        fake_factcheck(services),
        claims,
        load_sentences(data / "corpus.jsonl"),
        progress=lines.append,
    )
    assert results["errors"] == 0 and results["scored"] == 3
    assert [o["predicted"] for o in results["outcomes"]] == [S, N, S]
    assert results["accuracy"] == pytest.approx(1 / 3)
    assert results["confusion"][R][N] == 1 and results["confusion"][N][S] == 1
    # Claim 1 shows its gold sentence; claim 2 shows nothing; claim 3 has no gold evidence.
    assert results["outcomes"][0]["shown_ids"] == ("s1",)
    assert (results["evidence_recall"], results["evidence_recall_claims"]) == (0.5, 2)
    assert results["quotes_shown"] == 2 and results["quotes_shown_share_verified"] == 1.0
    assert results["quotes_dropped_unverified"] == 0
    assert results["majority_baseline"]["accuracy"] == pytest.approx(1 / 3)
    assert len(lines) == 3 and lines[0].startswith(f"[1/3] claim 1: {S} (gold {S}: right)")
    text = format_claims(results)
    assert "Confusion" in text and "always SUP" in text and "0 error(s)" in text


def test_one_failing_claim_is_counted_not_fatal(services: Services, data: Path) -> None:
    claims = load_claims(data / "claims.jsonl")
    chain = Failing(fake_factcheck(services), claims[1].text)
    lines: list[str] = []
    results = evaluate_claims(chain, claims, progress=lines.append)
    assert (results["claims"], results["scored"], results["errors"]) == (3, 2, 1)
    assert "ERROR RuntimeError: model server went away" in lines[1]
    assert results["outcomes"][1]["predicted"] is None
    assert results["accuracy"] == 0.5  # scored on the claims that did not fail


def test_eval_claims_command(
    data: Path, cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import assistant.app.compose
    from assistant.app.cli import main
    from assistant.llm.backends import Backend

    def fake_start_chat(
        settings: Settings, services: Services
    ) -> assistant.app.compose.ChatRuntime:
        llm = stance_model()
        chains = assistant.app.compose.build_chains(llm, settings, services)
        return assistant.app.compose.ChatRuntime(
            Backend("configured", "http://fake", "fake"), chains
        )

    monkeypatch.setattr(assistant.app.compose, "start_chat", fake_start_chat)
    output = tmp_path / "results.json"
    result = CliRunner().invoke(
        main,
        ["eval", "claims", "--data", str(data), "--limit", "2", "--json", "--output", str(output)],
        env={"ASSISTANT_CACHE_DIR": str(cache_dir), "ASSISTANT_LLM_URL": ""},
    )
    assert result.exit_code == 0, result.output
    assert "[2/2] claim 2:" in result.output and "Confusion" in result.output
    figures = json.loads(output.read_text())
    assert figures["claims"] == 2 and figures["errors"] == 0
    assert figures["outcomes"][0]["predicted"] == S
