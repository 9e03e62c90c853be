"""A second, short reading of the same passages, to check an answer to a question that asks
for one fact (who, which, what, where, when, how many).

Asked in full sentences, the small model often copies the passage sentence that repeats the
question's words, whether or not it holds the answer; asked for the answer alone, it makes
other mistakes. When the two readings name the same thing, the answer is right far more
often than either reading on its own. When they differ (or the full reading wrote nothing),
the short answer is shown only if a passage sentence about the question names it, the way a
listed option is picked (answer/options.py); otherwise neither is to be trusted, and the
reader is told the articles do not settle it rather than given a guess.

The second reading has its own instructions (asked in the answer's, the model writes
sentences again), so it reads the passages anew: it adds to the time of the whole answer,
not to the time of its first word, which streams before the check.
"""

from __future__ import annotations

import re

from assistant.answer.attribution import abstains, split_cited
from assistant.answer.context import CITATION
from assistant.answer.mentions import mentioned, phrase_words
from assistant.answer.options import ListedOptions, weigh_options
from assistant.answer.wording import content_words, normalize
from assistant.text import capitalized_words
from assistant.types import Attribution, CitedSentence, Passage

# A question sentence that asks for one name, number, place or date. "What" questions about
# what was said, what happened or what something means ask for an account, which two
# readings would word differently, so they are not checked this way.
_ONE_FACT = re.compile(
    r"\b(?:who|whom|whose|which|where|when|what|how\s+(?:many|much|long|old|soon|far|often|big"
    r"|large|high|tall|fast))\b",
    re.IGNORECASE,
)
_ACCOUNT = re.compile(
    r"\bwhat\b(?:\s+\S+){0,6}?\s+(?:say|said|says|happen\w*|think|mean\w*|discuss\w*|"
    r"explain\w*|describ\w*|do|did|does|doing|plan\w*|know)\b"
    r"|\bwhat\s+(?:is|are|was|were)\s+(?:the\s+)?(?:latest|news|story|situation|state)\b",
    re.IGNORECASE,
)
_NOT_STATED = re.compile(r"^\W*(?:not stated|unknown|none|n/?a)\W*$", re.IGNORECASE)
_LEAD_IN = re.compile(r"^\s*(?:the\s+)?(?:short\s+)?answer(?:\s+is)?\s*[:\-]?\s*", re.IGNORECASE)

# How strongly one passage sentence must tie the short answer to the question for it to be
# shown alone: options.weigh_options' weight of a sentence, (1 + the question's search words
# it shares, or half those of the sentence before it) / the passage's number. 4 is three
# words in the first passage, seven in the second; chosen on the odd-numbered questions.
BACKING_WEIGHT = 4.0

UNSETTLED = (
    "The articles I have do not say it clearly enough: two readings of the same passages "
    "gave different answers, so I am not giving either. The passages found are listed below."
)


def asks_for_one_fact(question: str) -> bool:
    """The question (its last sentence with a question mark, or the whole) asks for one
    name, number, place or date."""
    asked = [s for s in re.split(r"(?<=[.!?])\s+", question.strip()) if s.endswith("?")]
    sentence = asked[-1] if asked else question
    return bool(_ONE_FACT.search(sentence)) and not _ACCOUNT.search(sentence)


def short_answer(reply: str) -> str:
    """The second reading's answer: its first line, without citations, quotes or a lead-in;
    empty when it says the passages do not tell."""
    line = next((part for part in reply.strip().splitlines() if part.strip()), "")
    line = _LEAD_IN.sub("", CITATION.sub(" ", line)).strip(" \"'“”‘’.")
    if not line or _NOT_STATED.match(line) or abstains(line):
        return ""
    return " ".join(line.split())


def tells_more_than(short: str, question: str) -> bool:
    """The short answer names something other than what the question names: asked who
    Zelenskyy spoke with, the model sometimes answers "Vladimir Zelenskyy", which checks
    nothing. A name of the question in the short answer means it is about the question's
    subject; words of the question ("national park" in "Yellowstone National Park") do not."""
    asked = set(normalize(question))
    if _names(short) & _names(question):
        return False
    return any(word not in asked for word in phrase_words(short))


def _names(text: str) -> set[str]:
    return {word for name, _ in capitalized_words(text) for word in content_words(normalize(name))}


# A sentence of at most this many words, in an answer of several such, is a candidate
# named, not a statement: "Toyota [1]. GM [3]. Ford" lists what the passages mention.
_CANDIDATE_WORDS = 4


def lists_candidates(answer: str) -> bool:
    """The answer is a list of names or phrases (two or more sentences or lines of a few
    words each) rather than one answer: the small model's way of naming every candidate the
    passages mention."""
    pieces = [
        piece
        for sentence, _, _ in split_cited(answer)
        for piece in re.split(r"(?<=;)\s+", sentence)
        if re.search(r"\w", piece)
    ]
    return len(pieces) >= 2 and all(len(piece.split()) <= _CANDIDATE_WORDS for piece in pieces)


def readings_agree(answer: str, short: str) -> bool:
    """The full answer names what the short reading answered, and is not a list of
    candidates that merely includes it. A short reading that gave no answer, or only words
    of no weight, agrees with nothing."""
    if not short or not phrase_words(short) or lists_candidates(answer):
        return False
    return bool(mentioned(CITATION.sub(" ", answer), [short]))


def backed_short_answer(short: str, question: str, passages: list[Passage]) -> Attribution | None:
    """The short reading as the answer, cited with the passage sentence that names it, when
    that sentence is about the question (see ``BACKING_WEIGHT``); else None."""
    if not short or not phrase_words(short):
        return None
    evidence = weigh_options(ListedOptions(question, (short,)), passages)[0]
    if evidence.best < BACKING_WEIGHT:
        return None
    sentence = short if short.endswith((".", "!", "?")) else f"{short}."
    return Attribution([CitedSentence(sentence, (evidence.passage,), (evidence.support(),))])
