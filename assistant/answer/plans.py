"""Plans versus deeds: a passage that reports a plan, a promise, talks, a proposal or
preparations does not support a claim that the thing was done.

Small models read "agreed to prepare a deal" as "signed a deal" and "are still negotiating
a pact" as "agreed to a pact". The rule is about how news frames what has not happened
yet, not about any story's words: a sentence is framed as not yet done when it speaks of
intentions (plans to, intends to, aims to, will), promises (pledged, vowed, a commitment,
committed to doing), talks and negotiations, proposals and drafts, or preparations and
work under way (preparing, working on, worked on). A claim framed the same way is itself
about the plan, and a passage about the plan may support it.

"Agreed to" is both: followed by a verb it is an intention ("agreed to speed up talks"),
followed by a noun it is a deed ("agreed to a ceasefire"). A sentence that, besides its
talk of plans, reports the claim's own deed ("the treaty, signed after years of
negotiations") is not held back.
"""

from __future__ import annotations

import re

# Past forms that report a deed ("prepared dinner", "negotiated a ceasefire") are not
# among the words of plans; "proposed" and "drafted" are, as what was proposed or drafted
# is not yet done.

# Words that may follow "to" without being a verb: "agreed to a deal", "committed to
# peace" report a deed or a stance, not an intention.
_NOT_A_VERB = (
    r"(?:a|an|the|this|that|these|those|its|their|his|her|our|my|your|some|any|all|each|"
    r"new|further|more|peace|terms|\d[\w,.]*)\b"
)

_NOT_YET = re.compile(
    r"\b(?:"
    # intentions
    r"plan(?:s|ned|ning)?\s+(?:to|for|a|an|the|its|their)|intend(?:s|ed|ing)?\s+to|intention\w*"
    r"|aim(?:s|ed|ing)?\s+(?:to|at)|hop(?:e|es|ed|ing)\s+to|seek(?:s|ing)?\s+to|sought\s+to"
    r"|expect(?:s|ed)?\s+to|(?:is|are|was|were)\s+(?:set|due|going)\s+to|will|would|shall"
    r"|agree(?:s|d)?\s+to\s+(?!" + _NOT_A_VERB + r")\w+"
    r"|decide(?:s|d)?\s+to\s+(?!" + _NOT_A_VERB + r")\w+"
    # promises
    r"|pledg\w*|promis\w*|vow\w*|commitments?"
    r"|commit(?:s|ted|ting)?\s+to\s+(?!" + _NOT_A_VERB + r")\w+"
    # talks and negotiations
    r"|negotiat(?:e|es|ing|ion|ions)|talks|in\s+discussions?|under\s+discussion"
    # proposals and drafts
    r"|propos\w*|draft\w*"
    # preparations and work under way
    r"|prepar(?:e|es|ing|ation|ations)|work(?:s|ed|ing)?\s+(?:on|toward|towards)|under\s+way|underway"
    r"|in\s+progress|accelerat\w*|speed(?:s|ing)?\s+up|sped\s+up|expedit\w*"
    r")\b",
    re.IGNORECASE,
)

# A past-tense verb of the claim, to see whether the sentence reports the deed itself.
_PAST_VERB = re.compile(r"\b[a-z]{3,}ed\b", re.IGNORECASE)
_NOT_A_DEED = frozenset({"need", "needed", "speed", "proceed", "exceed", "indeed", "based"})


def framed_as_not_yet(text: str) -> bool:
    """The text speaks of a plan, a promise, talks, a proposal or preparations."""
    return bool(_NOT_YET.search(text))


def _deeds(text: str) -> set[str]:
    """Past-tense verbs outside the text's talk of plans ("agreed to sign" holds none)."""
    rest = _NOT_YET.sub(" ", text)
    return {w.lower() for w in _PAST_VERB.findall(rest)} - _NOT_A_DEED


def speaks_of_plan(sentence: str, claim: str) -> bool:
    """The sentence frames things as planned, promised, talked about or prepared; the
    claim states a deed; and the sentence does not report that deed besides."""
    if not framed_as_not_yet(sentence) or framed_as_not_yet(claim):
        return False
    return not (_deeds(claim) & _deeds(sentence))
