"""Questions that list their options ("Which show was renewed? (A) Friends (B) Squid Game"):
the option the passages support, picked without the model.

Asked to choose, the small model tends to repeat every option, or to pick by the letter's
sound rather than the passages. The passages themselves say more: the right option is the
one they name in sentences about what the question asks. Each option is weighed by the
sentences that name it, more when the sentence (or the one before it) shares the
question's words and when its passage ranks higher. The answer names the heaviest option
with the sentence that names it as the quote, or says the passages do not settle it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from assistant.answer.mentions import occurs_close, phrase_words
from assistant.answer.wording import normalize
from assistant.index.keywords import query_terms
from assistant.text import sentences
from assistant.types import Attribution, CitedSentence, Passage, Support

# "(A) ..." anywhere, "A) ..." after a space, "A. ..." only at the start of a line (a
# middle initial such as "Joe A. Smith" is not an option).
_MARKER = re.compile(
    r"(?:(?:^|(?<=[\s;:,]))\(([A-Ha-h])\)|(?:^|(?<=\s))([A-Ha-h])\)|^\s*([A-Ha-h])\.)\s+",
    re.MULTILINE,
)
_TRAILING = re.compile(r"[\s;,]+(?:or|and)?\s*$", re.IGNORECASE)
_LEAD_IN = re.compile(r"[\s:]*\b(?:options|choices|answers?)\s*:?\s*$", re.IGNORECASE)
# The sentence before one that names an option counts at half weight: the question's
# subject is often named there, and the option in the next sentence.
_PREVIOUS_WEIGHT = 0.5

NOT_SETTLED = "The articles I have do not say which of these options it is."


@dataclass(frozen=True)
class ListedOptions:
    stem: str  # the question without its options
    options: tuple[str, ...]

    def label(self, index: int) -> str:
        return f"({chr(ord('A') + index)}) {self.options[index]}"


def listed_options(question: str) -> ListedOptions | None:
    """The options a question lists, lettered from A in order (at least two), or None."""
    run: list[re.Match[str]] = []
    for match in _MARKER.finditer(question):
        letter = next(g for g in match.groups() if g).upper()
        if ord(letter) - ord("A") == len(run):
            run.append(match)
        elif letter == "A":  # a fresh run: the earlier one was not the options
            run = [match]
    if len(run) < 2:
        return None
    ends = [m.start() for m in run[1:]] + [len(question)]
    options = tuple(
        _TRAILING.sub("", question[m.end() : end]).strip() for m, end in zip(run, ends, strict=True)
    )
    if not all(options):
        return None
    stem = _LEAD_IN.sub("", question[: run[0].start()]).strip()
    return ListedOptions(stem, options)


@dataclass(frozen=True)
class Evidence:
    weight: float = 0.0
    passage: int = 0  # 1-based number of the passage with the best sentence
    quote: str = ""
    best: float = 0.0

    def support(self) -> Support:
        """Its best sentence, as the quote under the citation of ``passage``."""
        return Support(self.passage, self.quote, 1.0)


def weigh_options(listed: ListedOptions, passages: Sequence[Passage]) -> list[Evidence]:
    """For each option, the weight of the sentences that name it and the best of them."""
    asked = set(query_terms(listed.stem))
    wanted = [phrase_words(option) for option in listed.options]
    found = [Evidence() for _ in listed.options]
    for rank, passage in enumerate(passages):
        parts = sentences(passage.text)
        for j, sentence in enumerate(parts):
            tokens = normalize(sentence)
            near = float(len(asked & set(query_terms(sentence))))
            if j > 0:
                before = len(asked & set(query_terms(parts[j - 1])))
                near = max(near, _PREVIOUS_WEIGHT * before)
            weight = (1 + near) / (1 + rank)
            for i, words in enumerate(wanted):
                if not occurs_close(words, tokens):
                    continue
                e = found[i]
                better = weight > e.best
                found[i] = Evidence(
                    e.weight + weight,
                    rank + 1 if better else e.passage,
                    sentence if better else e.quote,
                    max(e.best, weight),
                )
    return found


def answer_from_options(listed: ListedOptions, passages: Sequence[Passage]) -> Attribution:
    """The option the passages support, cited with the sentence that names it; or, when
    none is named or two weigh the same, a sentence that says so."""
    evidence = weigh_options(listed, passages)
    top = max(e.weight for e in evidence)
    leaders = [i for i, e in enumerate(evidence) if e.weight == top]
    if top == 0:
        return Attribution([CitedSentence(NOT_SETTLED, (), (), needs_source=False)])
    if len(leaders) > 1:
        named = " and ".join(listed.label(i) for i in leaders)
        sentence = f"The articles name {named} alike, so they do not settle which it is."
        sources = tuple(evidence[i].support() for i in leaders)
        return Attribution([CitedSentence(sentence, (), sources)])
    # The option alone: the footer says it was picked from the passages, and the quote
    # under its citation is the sentence that names it.
    pick = evidence[leaders[0]]
    sentence = f"{listed.label(leaders[0])}."
    return Attribution([CitedSentence(sentence, (pick.passage,), (pick.support(),))])
