"""Plans versus deeds, on wordings other than the seed article's: a passage about a plan,
a promise, talks, a proposal or preparations does not support a claim that it was done."""

from __future__ import annotations

import pytest

from assistant.answer.plans import framed_as_not_yet, speaks_of_plan

# (passage sentence, claim that the thing was done)
NOT_YET_VERSUS_DEED = [
    # plans and intentions
    (
        "The council plans to build a second bridge over the river.",
        "The council built a second bridge",
    ),
    ("The airline intends to buy forty new jets next year.", "The airline bought forty new jets"),
    ("Ministers are set to approve the budget on Friday.", "Ministers approved the budget"),
    ("The company will close its Leeds plant in June.", "The company closed its Leeds plant"),
    (
        "Both leaders agreed to sign a trade pact before the summer.",
        "Both leaders signed a trade pact",
    ),
    # promises
    ("Germany pledged to send more air defence systems.", "Germany sent more air defence systems"),
    ("The mayor promised a new hospital for the district.", "The district got a new hospital"),
    ("The firms vowed to cut emissions by half.", "The firms cut emissions by half"),
    (
        "The commitment by both ports to deepen their channels was welcomed.",
        "Both ports deepened their channels",
    ),
    ("The bank is committed to lower its fees.", "The bank lowered its fees"),
    # talks and negotiations
    (
        "The two governments are still negotiating a security agreement.",
        "The two governments agreed to a security agreement",
    ),
    ("Talks on a ceasefire resumed in Cairo on Tuesday.", "A ceasefire was reached in Cairo"),
    (
        "Unions and employers remain in negotiations over pay.",
        "Unions and employers settled the pay dispute",
    ),
    # proposals and drafts
    ("The commission proposed a ban on disposable vapes.", "The EU banned disposable vapes"),
    ("Lawmakers drafted a bill to raise the minimum wage.", "Lawmakers raised the minimum wage"),
    # preparations and work under way
    ("Engineers are preparing the rocket for its first launch.", "The rocket was launched"),
    ("Officials worked on a plan to reopen the border.", "Officials reopened the border"),
    ("Work on the new runway is under way.", "The new runway opened"),
]


@pytest.mark.parametrize(("sentence", "claim"), NOT_YET_VERSUS_DEED)
def test_a_passage_about_what_is_not_yet_done_does_not_support_the_deed(
    sentence: str, claim: str
) -> None:
    assert speaks_of_plan(sentence, claim)


# (passage sentence, claim) where the passage may support the claim.
MAY_SUPPORT = [
    # The claim is itself about the plan, the promise or the work.
    ("The council plans to build a second bridge.", "The council plans a second bridge"),
    ("Germany pledged to send more air defence systems.", "Germany promised more air defence"),
    (
        "Officials are preparing a plan to reopen the border.",
        "Officials worked on reopening the border",
    ),
    (
        "The two governments are still negotiating a security agreement.",
        "The two governments are in talks on a security pact",
    ),
    (
        "Lawmakers drafted a bill to raise the minimum wage.",
        "A bill to raise the minimum wage was proposed",
    ),
    ("The airline intends to buy forty new jets.", "The airline agreed to buy forty jets"),
    ("The club made a commitment to its youth academy.", "The club promised to back its academy"),
    # Deeds told in words that can also announce plans.
    ("The chef prepared dinner for forty guests.", "The chef cooked for forty guests"),
    ("They negotiated a ceasefire on Sunday.", "A ceasefire was agreed on Sunday"),
    ("The bridge opened in May and will carry 20,000 cars a day.", "The bridge opened in May"),
    (
        "The treaty, signed in 2019 after years of negotiations, took effect in 2020.",
        "The treaty was signed in 2019",
    ),
    (
        "The two countries agreed to a prisoner exchange on Monday.",
        "The two countries agreed to a prisoner exchange",
    ),
    # No talk of plans at all.
    (
        "The leaders spoke by phone on Monday about air defence.",
        "The leaders spoke about air defence",
    ),
]


@pytest.mark.parametrize(("sentence", "claim"), MAY_SUPPORT)
def test_a_passage_that_reports_a_deed_or_a_plan_claim_is_not_held_back(
    sentence: str, claim: str
) -> None:
    assert not speaks_of_plan(sentence, claim)


def test_agreed_to_is_an_intention_before_a_verb_and_a_deed_before_a_noun() -> None:
    assert framed_as_not_yet("They agreed to hold a referendum.")
    assert framed_as_not_yet("She decided to resign next month.")
    assert not framed_as_not_yet("They agreed to a referendum.")
    assert not framed_as_not_yet("They agreed to the terms of the deal.")
    assert not framed_as_not_yet("The panel agreed to 12 changes.")
