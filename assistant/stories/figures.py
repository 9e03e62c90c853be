"""The figures a sentence reports, each with the kind of quantity it counts: "At least 42
people were killed" and "the death toll rose to 42" both report 42 deaths; "300 homes" is
300 of "home". Coverage compares outlets' figures of the same kind, so two sentences
counting the dead with different numbers are the pairs worth putting to the judge.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.wording import normalize


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Words that name what a casualty figure counts, whatever the outlet's wording.
_KINDS = {
    "deaths": "killed kill kills killing dead died die dies deaths death toll fatalities "
    "lives bodies perished drowned",
    "injuries": "injured injuring wounded hurt injuries",
    "missing": "missing unaccounted",
    "arrests": "arrested arrests detained",
    "displaced": "evacuated displaced homeless evacuees fled",
}
_KIND_OF = {word: kind for kind, words in _KINDS.items() for word in words.split()}
_MONTHS = _word_set(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec"
)
# Words between a number and what it counts ("42 people were killed"): skipped, not kinds.
_FILLER = _word_set(
    "people persons person of the a an and at least more than were was have had has been "
    "are is be left reported confirmed officially some about nearly almost over around"
)
_AFTER = 4  # words after the number searched for what it counts
_BEFORE = 3  # words before it ("killing 12", "a toll of 42")
# A toll is named further off ("the death toll from the collapse rose to 42").
_TOLL_BEFORE = 8


@dataclass(frozen=True)
class Figure:
    value: str  # canonical number ("12" for "twelve", "12600000" for "12.6 million")
    kind: str  # what it counts: "deaths", "injuries", … or the word it counts ("home")


def _is_number(token: str) -> bool:
    return token[0].isdigit()


def _looks_like_a_date(tokens: list[str], i: int) -> bool:
    """A day of a month ("5 March", "March 5") or a year (2022) is not a figure."""
    near = tokens[max(i - 1, 0) : i + 2]
    value = float(tokens[i])
    return any(t in _MONTHS for t in near) or (value.is_integer() and 1900 <= value <= 2100)


def _kind(tokens: list[str], i: int) -> str:
    after = tokens[i + 1 : i + 1 + _AFTER]
    for word in after:
        if word in _KIND_OF:
            return _KIND_OF[word]
    for word in reversed(tokens[max(i - _BEFORE, 0) : i]):
        if word in _KIND_OF:
            return _KIND_OF[word]
    if "toll" in tokens[max(i - _TOLL_BEFORE, 0) : i]:
        return "deaths"
    for word in after:
        if _is_number(word):
            break
        if word not in _FILLER:
            return word.removesuffix("s") if len(word) > 3 else word
    return ""


def figures(sentence: str) -> list[Figure]:
    """The sentence's figures with what each counts; numbers that count nothing named
    nearby, and dates, are left out."""
    tokens = normalize(sentence)
    found: list[Figure] = []
    for i, token in enumerate(tokens):
        if not _is_number(token) or _looks_like_a_date(tokens, i):
            continue
        kind = _kind(tokens, i)
        if kind:
            found.append(Figure(token, kind))
    return list(dict.fromkeys(found))


def differing_figures(first: list[Figure], second: list[Figure]) -> list[tuple[str, str, str]]:
    """(kind, first value, second value) for each kind both count with no value in
    common: "42 dead" and "17 killed" differ; "42 dead" and "42 killed, 17 injured" do not."""
    differ = []
    for kind in dict.fromkeys(f.kind for f in first):
        mine = {f.value for f in first if f.kind == kind}
        theirs = {f.value for f in second if f.kind == kind}
        if theirs and not mine & theirs:
            differ.append((kind, "/".join(sorted(mine)), "/".join(sorted(theirs))))
    return differ


def shared_figures(first: list[Figure], second: list[Figure]) -> list[Figure]:
    """The figures both sentences report, same value and same kind."""
    return [f for f in first if f in set(second)]
