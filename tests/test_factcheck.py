"""Fact-check logic: quote verification, reply parsing, verdict rules (fake chat model)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from assistant.chains.factcheck import (
    ClaimCheck,
    Claims,
    FactCheck,
    FactCheckChain,
    overall_verdict,
    sentence_split,
)
from assistant.chains.quotes import matching_sentence, normalize, quote_in
from assistant.chains.verdict_parsing import parse_claim_list, parse_lenient, parse_strict
from assistant.config import PROJECT_ROOT
from assistant.prompts import load_prompts
from assistant.retrieval import Filters
from assistant.store import Passage

TEXT = (
    "Ukrainian President Volodymyr Zelenskyy and Spanish Prime Minister Pedro Sánchez "
    "have committed to accelerating the preparation of a bilateral security agreement. "
    "“We agreed to accelerate work,” Zelenskyy stated — highlighting the dialogue."
)
PASSAGE = Passage("c1", "a1", 0, TEXT, "Seed", "2024-03-25", "seed.txt", "", 0.6)


def test_quote_verification_normalizes_typography() -> None:
    assert quote_in('"We agreed to accelerate work," Zelenskyy stated', TEXT)
    assert quote_in("zelenskyy   stated - highlighting the dialogue", TEXT)
    assert quote_in("Pedro Sánchez have committed … a bilateral security agreement", TEXT)
    assert not quote_in("Spain and Ukraine signed a bilateral security agreement", TEXT)
    assert not quote_in("Sánchez", TEXT)  # too short to prove anything
    assert not quote_in("a bilateral security agreement … Pedro Sánchez", TEXT)  # order
    assert normalize("“Don’t”—ok") == '"don\'t"-ok'


def test_matching_sentence_recovers_a_paraphrased_quote() -> None:
    found = matching_sentence(
        "Zelenskyy and Sánchez committed to accelerating preparation of a security agreement",
        TEXT,
    )
    assert found is not None and found.startswith("Ukrainian President")
    assert quote_in(found, TEXT)
    assert matching_sentence("The weather in Madrid was sunny all week long", TEXT) is None


@pytest.mark.parametrize(
    "reply",
    [
        '{"verdict": "SUPPORTED", "evidence": [{"passage": 1, "quote": "x y z"}]}',
        'Sure! ```json\n{"verdict": "supported", "evidence": []}\n``` Hope that helps.',
        '{"verdict": "NOT_ENOUGH_INFO", "explanation": "nothing {here}"}',
    ],
)
def test_strict_parser_accepts_wrapped_and_aliased_json(reply: str) -> None:
    parsed, error = parse_strict(reply)
    assert parsed is not None, error


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("I think it is true.", "no JSON object"),
        ('{"verdict": "SUPPORTED", "evidence": [', "no JSON object"),
        ('{"verdict": "MAYBE"}', "verdict"),
        ('{"evidence": []}', "verdict"),
        ('{"verdict": "REFUTED", "evidence": [{"passage": 0, "quote": "q"}]}', "passage"),
    ],
)
def test_strict_parser_explains_what_is_wrong(reply: str, error: str) -> None:
    parsed, message = parse_strict(reply)
    assert parsed is None and error in message


def test_lenient_parser_reads_a_cut_off_reply() -> None:
    cut = (
        '{"verdict": "REFUTED", "evidence": [{"passage": 2, "quote": "The vote has not '
        'happened yet at all"}, {"passage": 1, "quote": "and then the model stop'
    )
    reply = parse_lenient(cut)
    assert reply.verdict == "REFUTED"
    assert [e.passage for e in reply.evidence] == [2, 1]
    assert parse_lenient("Verdict: not enough information").verdict == "NOT ENOUGH INFO"
    assert parse_lenient("no idea").verdict == "NOT ENOUGH INFO"


def test_claim_list_parsing() -> None:
    assert parse_claim_list('Here: ["A is B.", "C is D."]') == ["A is B.", "C is D."]
    assert parse_claim_list("[1, 2]") is None
    assert parse_claim_list("nothing") is None


def test_overall_verdict_rules() -> None:
    assert overall_verdict(["SUPPORTED", "SUPPORTED"]) == "SUPPORTED"
    assert overall_verdict(["SUPPORTED", "REFUTED"]) == "REFUTED"
    assert overall_verdict(["SUPPORTED", "CONFLICTING"]) == "CONFLICTING"
    assert overall_verdict(["SUPPORTED", "NOT ENOUGH INFO"]) == "NOT ENOUGH INFO"
    assert overall_verdict([]) == "NOT ENOUGH INFO"


def test_sentence_split() -> None:
    assert sentence_split("A is here. B went there! C?") == ["A is here.", "B went there!", "C?"]


def chain(responses: list[str], passages: list[Passage] | None = None) -> FactCheckChain:
    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        return [PASSAGE] if passages is None else passages

    llm = FakeListChatModel(responses=responses)
    return FactCheckChain(llm, retrieve, load_prompts(PROJECT_ROOT / "prompts"), 800, 0.2)


def verdict(verdict: str, *quotes: tuple[int, str]) -> str:
    evidence = [{"passage": n, "quote": q} for n, q in quotes]
    return json.dumps({"verdict": verdict, "evidence": evidence, "explanation": "because"})


def test_supported_with_a_verified_quote(cache_dir: Any) -> None:
    quote = "have committed to accelerating the preparation of a bilateral security agreement"
    result = chain([verdict("SUPPORTED", (1, quote))]).check_claim("They will prepare a deal")
    assert result.verdict == "SUPPORTED" and result.note == ""
    assert [(e.quote, e.verified) for e in result.evidence] == [(quote, True)]
    assert result.evidence[0].passage.published == "2024-03-25"


def test_made_up_quote_is_never_evidence(cache_dir: Any) -> None:
    made_up = "Spain and Ukraine signed the bilateral security agreement on Monday in Madrid"
    result = chain([verdict("SUPPORTED", (1, made_up))]).check_claim("They signed it")
    assert result.verdict == "NOT ENOUGH INFO"
    assert not any(e.verified for e in result.evidence)
    assert "without a verified quote" in result.note


def test_malformed_reply_gets_one_retry(cache_dir: Any) -> None:
    quote = "We agreed to accelerate work"
    result = chain(["I believe it's true!", verdict("SUPPORTED", (1, quote))]).check_claim("x")
    assert result.verdict == "SUPPORTED" and result.note == "read after one retry"


def test_twice_malformed_reply_is_read_leniently_without_crashing(cache_dir: Any) -> None:
    result = chain(["garbage", 'REFUTED because "no such text appears in it at all"']).check_claim(
        "x"
    )
    assert result.verdict == "NOT ENOUGH INFO"  # REFUTED, but with no verified quote
    assert "read leniently" in result.note


def test_no_passages_means_not_enough_info(cache_dir: Any) -> None:
    result = chain(["unused"], passages=[]).check_claim("Mars has two moons")
    assert result.verdict == "NOT ENOUGH INFO" and result.evidence == []


def test_paragraph_is_split_and_judged_claim_by_claim(cache_dir: Any) -> None:
    quote = "We agreed to accelerate work"
    paragraph = (
        "Zelenskyy spoke with Sánchez about a security agreement between Ukraine and Spain "
        "and they discussed many other subjects at length. The leaders agreed to accelerate work."
    )
    responses = [
        '["Zelenskyy spoke with Sánchez.", "The leaders agreed to accelerate work."]',
        verdict("SUPPORTED", (1, quote)),
        verdict("REFUTED", (1, quote)),
    ]
    events = list(chain(responses).check(paragraph))
    assert isinstance(events[0], Claims) and len(events[0].claims) == 2
    checks = [e for e in events if isinstance(e, ClaimCheck)]
    assert [c.verdict for c in checks] == ["SUPPORTED", "REFUTED"]
    final = events[-1]
    assert isinstance(final, FactCheck) and final.overall == "REFUTED"


def test_invented_claims_from_the_splitter_are_not_used(cache_dir: Any) -> None:
    paragraph = "Ukraine and Spain met in March. The two leaders talked about air defence today."
    responses = [
        '["Aliens landed in Paris."]',
        verdict("NOT ENOUGH INFO"),
        verdict("NOT ENOUGH INFO"),
    ]
    claims = chain(responses).split_claims(paragraph)
    assert claims == [
        "Ukraine and Spain met in March.",
        "The two leaders talked about air defence today.",
    ]
