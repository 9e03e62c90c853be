"""Fact-check logic: quote verification, claim-list parsing, stances from answer
probabilities, verdict rules (fake chat models)."""

from __future__ import annotations

import math
from typing import Any

import pytest
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.messages import AIMessage

from assistant.answer.excerpts import evidence_excerpt
from assistant.answer.factcheck import (
    ClaimCheck,
    Claims,
    FactCheck,
    FactCheckChain,
    overall_verdict,
    sentence_split,
)
from assistant.answer.plans import speaks_of_plan
from assistant.answer.prompts import load_prompts
from assistant.answer.quotes import normalize, quote_in
from assistant.answer.stance import (
    FACT_CHECK,
    NO_MARGIN,
    StanceScores,
    Thresholds,
    answer_probabilities,
    calibrate,
    first_token_alternatives,
    word_scores,
)
from assistant.answer.verdict_parsing import parse_claims_lenient, parse_claims_strict
from assistant.answer.weighing import weigh
from assistant.config import PROJECT_ROOT
from assistant.types import Filters, Passage
from tests.fakes.stance_model import REFUTES, SUPPORTS, StanceModel, top

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


# ---- reading the model's structured claim list --------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        '["A is B.", "C is D."]',
        'Sure! ```json\n["A is B.", "C is D."]\n``` Hope that helps.',
        '[" A is B. ", "C is D."]',
    ],
)
def test_strict_claim_parser_accepts_wrapped_json(reply: str) -> None:
    claims, error = parse_claims_strict(reply)
    assert claims == ["A is B.", "C is D."], error


@pytest.mark.parametrize(
    ("reply", "error"),
    [
        ("I think there are two claims.", "no JSON list"),
        ('["A is B.", "C is', "no JSON list"),
        ('["A is B.", 3]', "item 1"),
        ("[]", "at least 1"),
        ('["A is B." "C is D."]', "malformed"),
    ],
)
def test_strict_claim_parser_explains_what_is_wrong(reply: str, error: str) -> None:
    claims, message = parse_claims_strict(reply)
    assert claims is None and error in message


def test_lenient_claim_parser_reads_cut_off_and_bulleted_replies() -> None:
    assert parse_claims_lenient('["Spain met Ukraine.", "They agreed to wo') == [
        "Spain met Ukraine."
    ]
    assert parse_claims_lenient("Claims:\n- Spain met Ukraine.\n2. The leaders talked.") == [
        "Spain met Ukraine.",
        "The leaders talked.",
    ]
    assert parse_claims_lenient("no idea") is None


# ---- stances from the model's answer probabilities ----------------------------------


def test_answer_probabilities_gather_the_answer_words_and_their_prefixes() -> None:
    mass = answer_probabilities(
        [
            *top(TRUE=0.5, FALSE=0.1, UN=0.2, Answer=0.05),
            {"token": " true", "logprob": math.log(0.1)},
            {"token": "A", "logprob": math.log(0.05)},  # one letter says nothing
        ]
    )
    assert mass.probabilities == pytest.approx({"supports": 0.6, "refutes": 0.1, "unclear": 0.2})
    assert mass.share == pytest.approx(0.9)
    # An answer missing from the list is as likely as the least likely token listed.
    missing = answer_probabilities(top(TRUE=0.7, UNKNOWN=0.2, The=0.02))
    assert missing.probabilities["refutes"] == pytest.approx(0.02)


def test_calibration_takes_out_the_models_bias() -> None:
    prior = {"supports": 0.01, "refutes": 0.005, "unclear": 0.98}
    # Raw, UNKNOWN wins; against the content-free prior, the passage moved TRUE far up.
    scores = calibrate({"supports": 0.4, "refutes": 0.01, "unclear": 0.59}, prior)
    assert scores.support_lift == pytest.approx(math.log(0.4 / 0.59) - math.log(0.01 / 0.98))
    assert FACT_CHECK.decide(scores) == "supports"
    # The same raw answer from a model that always says TRUE that much settles nothing.
    biased = calibrate(
        {"supports": 0.4, "refutes": 0.01, "unclear": 0.59},
        {"supports": 0.4, "refutes": 0.01, "unclear": 0.59},
    )
    assert biased.support_lift == pytest.approx(0.0) and FACT_CHECK.decide(biased) == "unclear"
    # An answer missing from the top alternatives counts as nearly impossible, not an error.
    assert calibrate({"unclear": 1.0}, prior).refute_lift < -5


def test_decisions_need_a_lift_and_take_the_stronger_side() -> None:
    lifts_alone = Thresholds(4.0, 4.5, NO_MARGIN, NO_MARGIN)

    def stance(support: float, refute: float) -> str:
        return lifts_alone.decide(StanceScores(support, refute))

    assert stance(4.5, 1.0) == "supports"
    assert stance(1.0, 4.6) == "refutes"
    assert stance(3.9, 4.4) == "unclear"  # neither moved far enough
    assert stance(5.0, 4.6) == "supports"  # both: the one further past its threshold
    assert stance(4.2, 6.0) == "refutes"


def test_decisions_need_a_lean_as_well_as_a_lift() -> None:
    """A passage that moves TRUE and FALSE alike away from UNKNOWN is on the claim's
    subject but takes no side; the margin says which way it leans."""
    judge = Thresholds(4.0, 4.0, support_margin=-0.2, refute_margin=0.4)

    def stance(support: float, refute: float) -> str:
        return judge.decide(StanceScores(support, refute))

    assert stance(4.6, 4.5) == "supports"
    assert stance(4.5, 4.6) == "supports"  # within the support margin
    assert stance(4.5, 4.8) == "unclear"  # leans to FALSE, not far enough to refute
    assert stance(4.5, 5.0) == "refutes"
    assert stance(3.0, 2.0) == "unclear"  # leans to TRUE, but hardly moved from UNKNOWN
    # Strength is the lesser of the two excesses: lift 0.6 past, lean 0.3 past.
    assert judge.strength(StanceScores(4.6, 4.5), "supports") == pytest.approx(0.3)


def test_a_reply_without_log_probabilities_is_read_from_its_word() -> None:
    assert FACT_CHECK.decide(word_scores("FALSE")) == "refutes"
    assert FACT_CHECK.decide(word_scores("True.")) == "supports"
    assert FACT_CHECK.decide(word_scores("I cannot tell")) == "unclear"
    assert not word_scores("TRUE").calibrated
    assert first_token_alternatives(AIMessage(content="TRUE")) is None
    message = AIMessage(
        content="TRUE",
        response_metadata={
            "logprobs": {"content": [{"token": "TRUE", "top_logprobs": top(TRUE=0.9)}]}
        },
    )
    assert first_token_alternatives(message) == top(TRUE=0.9)


# ---- excerpts --------------------------------------------------------------------------


def test_excerpt_is_the_sentences_sharing_most_words_with_the_claim() -> None:
    text = (
        "Zelenskyy visited Madrid on Monday. The weather was fine. Officials met briefly. "
        "Sánchez promised air defence systems for Ukraine. Talks went on late."
    )
    claim = "Sánchez promised Zelenskyy air defence"
    excerpt = evidence_excerpt(claim, text)
    assert excerpt.text == (
        "Zelenskyy visited Madrid on Monday. … Sánchez promised air defence systems for Ukraine."
    )
    assert excerpt.overlap == pytest.approx(4 / 5)  # the best sentence's share of the claim
    assert quote_in(excerpt.text, text)
    # A second sentence joins only when it holds enough of the claim's words itself.
    focused = evidence_excerpt(claim, text, min_overlap=0.4)
    assert focused.text == "Sánchez promised air defence systems for Ukraine."
    # A heading line has no full stop but is a sentence of its own.
    headed = "Air and sea\n\nSánchez promised it."
    assert evidence_excerpt("Sánchez promised air defence", headed, 0.5).text == (
        "Sánchez promised it."
    )
    assert evidence_excerpt("anything", "One sentence only").text == "One sentence only"


def test_a_passage_that_hardly_names_the_claims_subject_is_not_judged(cache_dir: Any) -> None:
    model = StanceModel(answers={"Claim:": SUPPORTS})  # would support anything
    other = passage("p1", "The mayor opened a new library in the old town on Friday.")
    result = chain(model, [other]).check_claim("Zelenskyy met the Pope in Rome")
    assert result.verdict == "NOT ENOUGH INFO" and model.asked == []
    assert "shares too few of the claim's words" in result.explanation


def test_a_plan_does_not_support_a_claim_that_it_was_done() -> None:
    assert speaks_of_plan(
        "They agreed to accelerate the preparation of a deal.", "They signed a deal"
    )
    assert not speaks_of_plan("They signed a deal on Monday.", "They signed a deal")
    assert not speaks_of_plan("They plan to sign a deal.", "They plan to sign a deal")
    # Deeds told in words that can also announce plans are not plans.
    assert not speaks_of_plan("The chef prepared dinner for the guests.", "The chef cooked")
    assert not speaks_of_plan("The bridge opened and will carry cars.", "The bridge opened")
    assert not speaks_of_plan("They negotiated a ceasefire.", "A ceasefire was agreed")
    assert speaks_of_plan("Negotiations on a ceasefire go on.", "A ceasefire was agreed")
    # A claim about the plan itself may be supported by a passage about the plan.
    assert not speaks_of_plan(
        "They committed to accelerating the preparation of a deal.",
        "They agreed to speed up work on a deal",
    )


def test_overall_verdict_rules() -> None:
    assert overall_verdict(["SUPPORTED", "SUPPORTED"]) == "SUPPORTED"
    assert overall_verdict(["SUPPORTED", "REFUTED"]) == "REFUTED"
    assert overall_verdict(["SUPPORTED", "CONFLICTING"]) == "CONFLICTING"
    assert overall_verdict(["SUPPORTED", "NOT ENOUGH INFO"]) == "NOT ENOUGH INFO"
    assert overall_verdict([]) == "NOT ENOUGH INFO"
    assert weigh([("supports", 1.0), ("unclear", -2.0), ("refutes", 1.0)]) == "CONFLICTING"
    assert weigh([("unclear", -1.0), ("refutes", 0.5)]) == "REFUTED"
    assert weigh([("unclear", -0.5)]) == "NOT ENOUGH INFO"


def test_sentence_split() -> None:
    assert sentence_split("A is here. B went there! C?") == ["A is here.", "B went there!", "C?"]


# ---- the chain, with a model that answers with log-probabilities ---------------------


def chain(model: BaseChatModel, passages: list[Passage] | None = None) -> FactCheckChain:
    def retrieve(query: str, filters: Filters | None) -> list[Passage]:
        return [PASSAGE] if passages is None else passages

    return FactCheckChain(model, retrieve, load_prompts(PROJECT_ROOT / "prompts"), 0.2)


def passage(chunk: str, text: str, published: str = "2024-03-25") -> Passage:
    return Passage(chunk, chunk, 0, text, f"Story {chunk}", published, "wire", "", 0.6)


def test_supported_claim_shows_the_judged_excerpt_verified(cache_dir: Any) -> None:
    opened = passage("p1", "The weather was grey. The city opened the new bridge on Monday.")
    model = StanceModel(answers={"opened": SUPPORTS})
    result = chain(model, [opened]).check_claim("The city opened the bridge")
    assert result.verdict == "SUPPORTED"
    assert [(e.quote, e.verified, e.stance) for e in result.evidence] == [
        ("The city opened the new bridge on Monday.", True, "supports")
    ]
    assert result.evidence[0].passage.published == "2024-03-25"
    assert "Passage 1 (Story p1) supports the claim (judge: sure)." in result.explanation
    # The model's bias is asked for once and reused.
    assert sum("Passage: N/A" in a for a in model.asked) == 1


def test_passages_both_ways_make_a_claim_conflicting(cache_dir: Any) -> None:
    model = StanceModel(
        answers={
            "opened": SUPPORTS,
            "closed": REFUTES,
        }
    )
    found = [
        passage("p1", "The city opened the new bridge on Monday."),
        passage("p2", "The new bridge stayed closed all year."),
        passage("p3", "The bridge was designed by a Swiss firm."),
    ]
    result = chain(model, found).check_claim("The new bridge is open")
    assert result.verdict == "CONFLICTING"
    assert [e.stance for e in result.evidence] == ["supports", "refutes"]
    assert "Passage 3 (Story p3) does not settle the claim" in result.explanation


def test_a_plan_is_not_taken_as_support_for_a_deed(cache_dir: Any) -> None:
    model = StanceModel(answers={"bilateral": SUPPORTS})
    result = chain(model).check_claim("Spain and Ukraine signed a bilateral security agreement")
    assert result.verdict == "NOT ENOUGH INFO" and result.evidence == []
    assert "plan or preparation" in result.note


def test_a_model_without_log_probabilities_is_read_from_its_words(cache_dir: Any) -> None:
    claim = "Zelenskyy and Sánchez signed a security agreement"
    result = chain(FakeListChatModel(responses=["FALSE"])).check_claim(claim)
    assert result.verdict == "REFUTED"
    assert result.evidence[0].quote == result.passages[0].text.split(" “")[0]
    unclear = chain(FakeListChatModel(responses=["Hmm, hard to say"])).check_claim(claim)
    assert unclear.verdict == "NOT ENOUGH INFO" and unclear.evidence == []


def test_no_passages_means_not_enough_info(cache_dir: Any) -> None:
    model = StanceModel(answers={})
    result = chain(model, passages=[]).check_claim("Mars has two moons")
    assert result.verdict == "NOT ENOUGH INFO" and result.evidence == []
    assert model.asked == []  # the model is not asked about nothing


PARAGRAPH = (
    "Zelenskyy spoke with Sánchez about a security agreement between Ukraine and Spain "
    "and they discussed many other subjects at length. The leaders agreed to accelerate work."
)


def test_paragraph_is_split_and_judged_claim_by_claim(cache_dir: Any) -> None:
    model = StanceModel(
        answers={
            "Claim: Zelenskyy spoke": SUPPORTS,
            "Claim: The leaders agreed": REFUTES,
        },
        replies=['["Zelenskyy spoke with Sánchez.", "The leaders agreed to accelerate work."]'],
    )
    spoke = passage("p1", "Zelenskyy spoke with Sánchez by phone on Monday.")
    agreed = passage("p2", "The leaders agreed to accelerate work, officials said.")
    events = list(chain(model, [spoke, agreed]).check(PARAGRAPH))
    assert isinstance(events[0], Claims) and events[0].claims == [
        "Zelenskyy spoke with Sánchez.",
        "The leaders agreed to accelerate work.",
    ]
    checks = [e for e in events if isinstance(e, ClaimCheck)]
    assert [(c.claim, c.verdict) for c in checks] == [
        ("Zelenskyy spoke with Sánchez.", "SUPPORTED"),
        ("The leaders agreed to accelerate work.", "REFUTED"),
    ]
    final = events[-1]
    assert isinstance(final, FactCheck) and final.overall == "REFUTED"


def test_a_malformed_claim_list_gets_one_retry_that_names_the_error(cache_dir: Any) -> None:
    model = StanceModel(
        answers={},
        replies=[
            "There are two claims here.",
            '["Zelenskyy spoke with Sánchez about a security agreement.", "They agreed."]',
        ],
    )
    assert chain(model).split_claims(PARAGRAPH) == [
        "Zelenskyy spoke with Sánchez about a security agreement.",
        "They agreed.",
    ]
    assert "the reply holds no JSON list" in model.asked[-1]


def test_a_twice_malformed_claim_list_is_read_leniently(cache_dir: Any) -> None:
    model = StanceModel(
        answers={},
        replies=[
            "nothing useful",
            "- Zelenskyy spoke with Sánchez about a security agreement with Spain."
            "\n- The leaders agreed to accelerate",
        ],
    )
    assert chain(model).split_claims(PARAGRAPH) == [
        "Zelenskyy spoke with Sánchez about a security agreement with Spain.",
        "The leaders agreed to accelerate",
    ]
    # A quoted phrase read leniently covers too little of the text to stand for it.
    quoted = StanceModel(replies=["nothing", 'The text says "Spain and Ukraine" met.'])
    assert chain(quoted).split_claims(PARAGRAPH) == sentence_split(PARAGRAPH)


def test_invented_claims_from_the_splitter_are_not_used(cache_dir: Any) -> None:
    paragraph = "Ukraine and Spain met in March. The two leaders talked about air defence today."
    model = StanceModel(answers={}, replies=['["Aliens landed in Paris."]'])
    assert chain(model).split_claims(paragraph) == [
        "Ukraine and Spain met in March.",
        "The two leaders talked about air defence today.",
    ]


def test_the_judge_asks_for_log_probabilities_and_a_one_token_answer(cache_dir: Any) -> None:
    model = StanceModel(answers={"opened": SUPPORTS})
    found = [
        passage("p1", "The city opened the new bridge on Monday."),
        passage("p2", "The new bridge was opened by the mayor."),
    ]
    result = chain(model, found).check_claim("The city opened the new bridge")
    assert result.verdict == "SUPPORTED" and len(result.evidence) == 2
    assert all(o.get("logprobs") is True and o.get("top_logprobs") == 20 for o in model.options)
    assert all(o["extra_body"] == {"max_tokens": 1} for o in model.options)
    # The model's bias is asked for once, then reused for every passage.
    assert sum("Passage: N/A" in a for a in model.asked) == 1
    assert len(model.asked) == 3


def test_a_first_token_that_is_no_answer_settles_nothing(cache_dir: Any) -> None:
    # "The" leads: the three answers hold a sliver, and the floor must not turn that
    # into a strong lift either way.
    model = StanceModel(answers={"opened": {"The": 0.9, "TRUE": 0.002, "UNKNOWN": 0.001}})
    result = chain(model, [passage("p1", "The city opened the new bridge on Monday.")]).check_claim(
        "The city opened the new bridge"
    )
    assert result.verdict == "NOT ENOUGH INFO" and result.evidence == []


def test_a_server_that_refuses_log_probabilities_is_asked_without_them(cache_dir: Any) -> None:
    model = StanceModel(answers={"opened": SUPPORTS}, refuse_logprobs=True)
    found = [passage("p1", "The city opened the new bridge on Monday.")]
    fact_check = chain(model, found)
    result = fact_check.check_claim("The city opened the new bridge")
    assert result.verdict == "SUPPORTED"  # read from the answer word
    assert result.judgements[0].scores is not None
    assert not result.judgements[0].scores.calibrated
    asked_before = len(model.options)
    fact_check.check_claim("The city opened the new bridge")
    later = model.options[asked_before:]
    assert later and not any(o.get("logprobs") for o in later)  # not asked again
    # The answer word is read instead, and UNKNOWN may take two tokens.
    assert all(o["extra_body"] == {"max_tokens": 2} for o in later)


def test_an_excerpt_too_short_to_quote_is_not_judged(cache_dir: Any) -> None:
    model = StanceModel(answers={"Prices": SUPPORTS})
    result = chain(model, [passage("p1", "Prices rose.")]).check_claim("Prices rose")
    assert result.verdict == "NOT ENOUGH INFO" and result.evidence == []
    assert "cannot be quoted as evidence" in result.explanation
    assert model.asked == []


def test_a_split_that_keeps_only_a_fragment_of_the_text_is_not_used(cache_dir: Any) -> None:
    model = StanceModel(answers={}, replies=['["Zelenskyy spoke with Sánchez."]'])
    claims = chain(model).split_claims(PARAGRAPH)
    assert claims == sentence_split(PARAGRAPH)
