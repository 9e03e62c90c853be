"""Whether a text names a phrase, as a reader would judge it: "$12,600,000" names
"$12.6 million", "New York City's famed Times Square" names "New York City's Times Square",
"European" names "Europe". A phrase is named when its content words occur in the text in
order, close together; a phrase that is part of another named one ("New York" inside "New
York City") does not count on its own.

Used to pick the option the passages support and to score answers against options.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.wording import content_words, normalize

# How far apart a phrase's words may be: a few words may come between them ("famed"), but
# words scattered over a paragraph do not name the phrase.
_SLACK = 3
_MIN_STEM = 5
_ENDINGS = frozenset({"s", "es", "n", "ns", "an", "ans", "ian", "ians", "ese"})


def _same_word(wanted: str, token: str) -> bool:
    """Equal, or the same word with a plural or demonym ending ("europe" / "european",
    "russia" / "russians"); the stem has at least five letters, so short words never
    match this way."""
    if wanted == token:
        return True
    short, long = sorted((wanted, token), key=len)
    return (
        len(short) >= _MIN_STEM
        and not short[0].isdigit()
        and long.startswith(short)
        and long[len(short) :] in _ENDINGS
    )


def occurs_close(wanted: Sequence[str], tokens: Sequence[str]) -> bool:
    """``wanted`` occurs in ``tokens`` in order, spanning at most len + slack tokens."""
    if not wanted:
        return False
    for start, token in enumerate(tokens):
        if not _same_word(wanted[0], token):
            continue
        position, found = start, 1
        while found < len(wanted) and position + 1 < len(tokens):
            position += 1
            if position - start >= len(wanted) + _SLACK:
                break
            if _same_word(wanted[found], tokens[position]):
                found += 1
        if found == len(wanted):
            return True
    return False


def phrase_words(phrase: str) -> list[str]:
    return content_words(normalize(phrase))


def mentioned(text: str, phrases: Sequence[str]) -> list[int]:
    """Indexes of the phrases the text names, in phrase order."""
    tokens = normalize(text)
    wanted = [phrase_words(phrase) for phrase in phrases]
    named = {i for i, words in enumerate(wanted) if occurs_close(words, tokens)}
    return sorted(
        named
        - {
            i
            for i in named
            for j in named
            if i != j and set(wanted[i]) < set(wanted[j]) and len(wanted[i]) < len(wanted[j])
        }
    )
