"""``assistant eval claims``: the metrics by hand, and the wiring with a fake chat model over
a store in a temporary folder (no model server, no ../shared data)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from assistant.answer.factcheck import FactCheckChain, FactCheckEvent
from assistant.app.compose import Services, build_services
from assistant.config import Settings
from assistant.errors import ConfigError
from assistant.types import Filters
from devtools.eval_claims import (
    ClaimOutcome,
    GoldClaim,
    accuracy,
    confusion,
    evaluate_claims,
    evidence_recall,
    format_claims,
    gold_verdict,
    in_split,
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

    def check(
        self, text: str, filters: Filters | None = None, today: date | None = None
    ) -> Iterator[FactCheckEvent]:
        if text == self.bad:
            raise RuntimeError("model server went away")
        return self.chain.check(text, filters, today)


def test_evaluate_claims_with_a_fake_model(services: Services, data: Path) -> None:
    claims = load_claims(data / "claims.jsonl")
    lines: list[str] = []
    results = evaluate_claims(
        fake_factcheck(services),
        claims,
        load_sentences(data / "corpus.jsonl"),
        progress=lines.append,
    )
    assert results["errors"] == 0 and results["claims"] == 3
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
    assert (results["claims"], results["errors"]) == (3, 1)
    assert "ERROR RuntimeError: model server went away" in lines[1]
    assert results["outcomes"][1]["predicted"] is None
    # The failed claim counts as wrong: 1 right of 3 (claim 1), not 1 of the 2 that ran.
    assert results["accuracy"] == pytest.approx(1 / 3)
    assert results["confusion"][R]["FAILED"] == 1
    assert results["f1"][R] == 0.0 and results["predicted_counts"]["FAILED"] == 1


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

    # The same run judging every passage, then the settings chosen on its records.
    recorded = tmp_path / "all.json"
    result = CliRunner().invoke(
        main,
        ["eval", "claims", "--data", str(data), "--judge-all", "--json", "--output", str(recorded)],
        env={"ASSISTANT_CACHE_DIR": str(cache_dir), "ASSISTANT_LLM_URL": ""},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(recorded.read_text())["judge_all"] is True
    for half in ("even", "odd"):
        result = CliRunner().invoke(
            main,
            ["eval", "claim-thresholds", "--data", str(data), "--choose-on", half, str(recorded)],
            env={"ASSISTANT_CACHE_DIR": str(cache_dir)},
        )
        assert result.exit_code == 0, result.output
        assert f"Chosen on the {half} half" in result.output
        assert result.output.count("macro-F1") == 4


def test_halves_are_disjoint_cover_every_claim_and_keep_their_members(data: Path) -> None:
    everything = {c.id for c in load_claims(data / "claims.jsonl")}
    odd = {c.id for c in load_claims(data / "claims.jsonl", split="odd")}
    even = {c.id for c in load_claims(data / "claims.jsonl", split="even")}
    assert odd | even == everything and not odd & even
    # The half is the id's, not the position's: a limit counts within the half.
    first_even = load_claims(data / "claims.jsonl", limit=1, split="even")
    assert [c.id for c in first_even] == [
        c.id for c in load_claims(data / "claims.jsonl") if c.id in even
    ][:1]
    assert in_split("6", "odd") != in_split("6", "even") and in_split("6", None)


def test_quotes_are_found_again_in_the_corpus_file_alone(services: Services, data: Path) -> None:
    """A shown quote counts as found only in the corpus file's own sentence: a sentence the
    file does not hold, or holds with other words, finds nothing (no fallback to the
    stored passage, which the quote was taken from)."""
    claims = load_claims(data / "claims.jsonl")
    sentences = load_sentences(data / "corpus.jsonl")
    sentences.pop("s1")  # claim 1's quote
    sentences["s2"] = "The reef was fine."  # claim 3's quote
    results = evaluate_claims(fake_factcheck(services), claims, sentences)
    assert results["quotes_shown"] == 2
    assert results["quotes_shown_found_in_corpus"] == 0


def test_a_paragraph_is_scored_through_the_tabs_path(services: Services, data: Path) -> None:
    """Two sentences are split into claims by the model, as the Fact-check tab does, and
    the text's overall verdict is scored: one unsettled part leaves it not settled."""
    text = (
        "Global warming endangers the polar bear. Volcanoes emit more carbon dioxide than humans."
    )
    model = stance_model()
    model.replies.append(json.dumps(text.replace(". ", ".|").split("|")))
    chain = FactCheckChain(
        model, services.retriever.retrieve, services.prompts, services.settings.min_relevance
    )
    claim = GoldClaim("9", text, S, frozenset({"s1"}))
    lines: list[str] = []
    results = evaluate_claims(chain, [claim], load_sentences(data / "corpus.jsonl"), lines.append)
    outcome = results["outcomes"][0]
    assert outcome["parts"] == 2 and results["split_into_parts"] == 1
    assert outcome["predicted"] == N  # the volcano part settles nothing
    assert outcome["shown_ids"] == ("s1",)  # the polar bear part's evidence is still shown
    assert "split into 2" in lines[0]


def test_replaying_recorded_judgements_gives_the_chains_verdicts(
    services: Services, data: Path, tmp_path: Path
) -> None:
    """What `eval claim-thresholds` chooses from: a run that judges every passage, replayed
    with the chain's own settings, gives the verdicts and evidence the chain gives."""
    from devtools.eval_thresholds import ChainSettings, load_recorded, replay

    claims = load_claims(data / "claims.jsonl")
    wide = fake_factcheck(services)
    wide.evidence_passages, wide.min_overlap = 6, 0.25
    recorded = tmp_path / "wide.json"
    recorded.write_text(json.dumps(evaluate_claims(wide, claims)), encoding="utf-8")
    direct = evaluate_claims(fake_factcheck(services), claims)
    texts = {c.id: c.text for c in claims}
    replayed = replay(load_recorded(recorded, texts), ChainSettings())  # the chain's own
    assert replayed["accuracy"] == direct["accuracy"]
    assert replayed["macro_f1"] == direct["macro_f1"]
    assert replayed["evidence_recall"] == direct["evidence_recall"]
    # Thresholds no passage reaches leave every claim unsettled.
    unsettled = replay(
        load_recorded(recorded, texts), ChainSettings(support_lift=99, refute_lift=99)
    )
    assert unsettled["recall_of_true_claims"] == 0.0 and unsettled["evidence_recall"] == 0.0


def test_evidence_reach_counts_gold_sentences_put_before_the_judge(
    services: Services, data: Path
) -> None:
    from devtools.eval_evidence_reach import Selection, evidence_reach

    claims = load_claims(data / "claims.jsonl")
    rows = evidence_reach(
        claims,
        services.retriever.retrieve,
        services.settings.min_relevance,
        [Selection("all", 6, False, 0.0), Selection("none", 6, False, 1.01)],
    )
    by_selection: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_selection.setdefault(str(row["selection"]), []).append(row)
    # With no gate every retrieved gold sentence is judged; a gate no sentence reaches
    # leaves none, and asks nothing.
    assert sum(int(r["claims"]) for r in by_selection["all"]) == 3
    assert all(r["gold_judged"] in (0.0, 1.0) for r in by_selection["all"])
    assert any(r["gold_judged"] == 1.0 for r in by_selection["all"])
    assert all(
        r["gold_judged"] == 0.0 and r["questions_per_claim"] == 0.0 for r in by_selection["none"]
    )
