"""End to end: fact checks of claims about the seed article with the real embedded model
server at the product's default settings (temperature 0.1), the real store."""

from __future__ import annotations

import pytest

from assistant.answer.plans import framed_as_not_yet
from assistant.answer.quotes import quote_in
from assistant.app.compose import ChatRuntime, Services

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def chat(seed_runtime: tuple[Services, ChatRuntime]) -> ChatRuntime:
    return seed_runtime[1]


def test_claim_about_a_signed_agreement_is_not_supported(chat: ChatRuntime) -> None:
    result = chat.current().factcheck.check_claim(
        "Spain and Ukraine signed a bilateral security agreement"
    )
    assert result.verdict != "SUPPORTED", result
    for evidence in (e for e in result.evidence if e.verified):  # what would be shown
        assert quote_in(evidence.quote, evidence.passage.text)
        assert evidence.passage.published == "2024-03-25"


def test_a_claim_the_model_alone_settles_is_supported_with_a_verified_quote(
    chat: ChatRuntime,
) -> None:
    """No talk of plans on either side, so the plan rule cannot decide it: the verdict
    rests on the model's reading of the passages."""
    claim = "Zelenskyy spoke with Sánchez"
    result = chat.current().factcheck.check_claim(claim)
    assert not framed_as_not_yet(claim)
    assert result.verdict == "SUPPORTED", result.explanation
    shown = [e for e in result.evidence if e.verified and e.stance == "supports"]
    assert shown, result
    for evidence in shown:
        assert quote_in(evidence.quote, evidence.passage.text)
        assert evidence.passage.published == "2024-03-25"
    # The support is the model's reading: calibrated lifts past the threshold (the plan
    # rule can only set a support aside, never make one).
    supporting = [j for j in result.judgements if j.stance == "supports"]
    assert supporting and all(j.scores is not None and j.scores.calibrated for j in supporting)
    assert all(j.strength >= 0 for j in supporting)


def test_claim_the_article_makes_is_supported_with_its_words(chat: ChatRuntime) -> None:
    result = chat.current().factcheck.check_claim(
        "Zelenskyy and Sánchez agreed to speed up work on a bilateral security agreement"
    )
    assert result.verdict == "SUPPORTED", result.explanation
    shown = [e for e in result.evidence if e.verified]
    assert shown and all(quote_in(e.quote, e.passage.text) for e in shown)
    assert any("bilateral security agreement" in e.quote for e in shown)
