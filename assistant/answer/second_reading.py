"""Short readings of the same passages, to check an answer to a question that asks for one
fact (who, which, what, where, when, how many).

Asked in full sentences, the small model often copies the passage sentence that repeats the
question's words, whether or not it holds the answer; asked for the answer alone, it makes
other mistakes, and a different one each time it is asked. So the model proposes and the
passages decide: several short readings (sampled, so each may offer something else) and the
names and numbers of the full answer are the candidates, and each is weighed by the passage
sentences that name it, the way a listed option is picked (answer/options.py). The heaviest
is the answer when one sentence about the question names it and it outweighs every
candidate naming something else. If the full answer names it, the full answer is shown;
else the candidate alone, cited with that sentence. When no candidate is settled this way,
the reader is told the articles do not settle it rather than given a guess.

The short readings have their own instructions (asked in the answer's, the model writes
sentences again), so they read the passages anew: they add to the time of the whole answer,
not to the time of its first word, which streams before the check. They share one prompt,
which the model server keeps cached, so each further reading costs only its few words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.attribution import abstains, split_cited
from assistant.answer.context import CITATION
from assistant.answer.mentions import mentioned, phrase_words
from assistant.answer.options import Evidence, ListedOptions, weigh_options
from assistant.answer.wording import content_words, normalize, strict_content_words
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

# How strongly one passage sentence must tie a candidate to the question for it to be the
# answer: options.weigh_options' weight of a sentence, (1 + the question's search words it
# shares, or half those of the sentence before it) / the passage's number. 3 is two words in
# the first passage, five in the second. Replayed over recorded readings, 2 was best on the
# odd-numbered questions but added wrong answers on the even ones; 3 added none on either.
BACKING_WEIGHT = 3.0

UNSETTLED = (
    "The articles I have do not say it clearly enough: readings of the same passages gave "
    "different answers and the passages back none of them, so I am not giving one. The "
    "passages found are listed below."
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


# A name as the full answer writes it: capitalized words, with the small words names hold
# ("Bank of America", "Bed Bath & Beyond"); or a number with its unit ("$5", "60%",
# "2.9 million").
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"
_NAME_OR_NUMBER = re.compile(
    rf"{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?"
    r"|[$£€]?\d[\d,.]*(?:\s*(?:%|percent|million|billion|trillion))?"
    r"|[A-Z][\w'’&.-]*(?:\s+(?:(?:of|the|de|and|&)\s+)?[A-Z][\w'’&.-]*)*"
)


# Words of a day or date alone ("Monday", "July 1, 2022"): the full answer names them in
# passing, and they answer only a question that asks when.
_CALENDAR = frozenset(
    [
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("january", "february", "march", "april", "may", "june", "july", "august"),
        *("september", "october", "november", "december"),
        *("today", "yesterday", "tomorrow", "week", "weekend", "month", "year"),
    ]
)
_ASKS_WHEN = re.compile(r"\bwhen\b|\bwhat\s+(?:day|date|month|year|time)\b", re.IGNORECASE)


def _only_a_date(candidate: str) -> bool:
    words = phrase_words(candidate)
    return any(w in _CALENDAR for w in words) and all(w in _CALENDAR or w.isdigit() for w in words)


def candidates(answer: str, shorts: Sequence[str], question: str) -> list[str]:
    """What the readings offer as the answer, each once: the short readings' answers, then
    the full answer's sentences of a few words ("JetBlue [1].") and its names and numbers.
    What only repeats the question offers nothing, and a day or date alone answers only a
    question that asks when."""
    offered = [*shorts]
    offered += [
        sentence.strip(" .")
        for sentence, _, _ in split_cited(answer)
        if len(sentence.split()) <= _CANDIDATE_WORDS
    ]
    offered += [m.group().strip(" .,") for m in _NAME_OR_NUMBER.finditer(CITATION.sub(" ", answer))]
    dates_answer = bool(_ASKS_WHEN.search(question))
    kept = [
        c
        for c in offered
        if strict_content_words(normalize(c))
        and tells_more_than(c, question)
        and (dates_answer or not _only_a_date(c))
    ]
    return list(dict.fromkeys(kept))


def _same(one: str, other: str) -> bool:
    """Two candidates name the same thing ("Yellowstone", "Yellowstone National Park")."""
    return bool(mentioned(one, [other]) or mentioned(other, [one]))


@dataclass(frozen=True)
class Settled:
    """The candidate the passages back, with the sentence that backs it most."""

    answer: str
    evidence: Evidence

    def attribution(self) -> Attribution:
        """The candidate alone as the answer, cited with its sentence as the quote."""
        text = self.answer
        sentence = text if text.endswith((".", "!", "?")) else f"{text}."
        return Attribution(
            [CitedSentence(sentence, (self.evidence.passage,), (self.evidence.support(),))]
        )


def settle(
    question: str, answer: str, shorts: Sequence[str], passages: Sequence[Passage]
) -> Settled | None:
    """The candidate the passages back most, when a sentence about the question names it
    (``BACKING_WEIGHT``) and it outweighs every candidate that names something else; else
    None. The weight of a candidate is that of all the passage sentences naming it."""
    offered = candidates(answer, shorts, question)
    if not offered:
        return None
    weighed = weigh_options(ListedOptions(question, tuple(offered)), passages)
    ranked = sorted(range(len(offered)), key=lambda i: -weighed[i].weight)
    top = ranked[0]
    rival = max(
        (weighed[i].weight for i in ranked[1:] if not _same(offered[i], offered[top])),
        default=0.0,
    )
    if weighed[top].best < BACKING_WEIGHT or weighed[top].weight <= rival:
        return None
    return Settled(offered[top], weighed[top])
