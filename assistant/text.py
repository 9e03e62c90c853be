"""Words, sentences, shingles and day numbers: the small text rules several stages share,
each defined once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

# A word: letters and digits (no underscores), in any script.
WORD = re.compile(r"[^\W_]+", re.UNICODE)

# A sentence stops at . ! or ?, with any closing quote mark or bracket kept on its side.
_STOP = r"[.!?][\"”’')\]]?"
SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’')\]]))\s+")
# The same stop, where the next sentence has visibly begun (a capital, a digit or an opening
# quote follows): text still arriving, or a claim split where "approx. two" must stay whole.
SENTENCE_BEGUN = re.compile(SENTENCE_END.pattern + r"(?=[A-Z0-9\"“])")
# A stop followed by what may begin a sentence or a list item, for cutting model output.
STOP_BEFORE_START = re.compile(_STOP + r"(?=\s+[A-Z0-9\"“‘(\[*•-])")
_LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")
# A bullet or a numbered item begins a line of its own, never a wrapped one.
_LIST_ITEM = re.compile(r"(?:[-*•]|\d+[.)])\s")
# A capital after one of these starts a sentence or a quotation, so it does not mark a name.
_OPENERS = frozenset("\"“‘'(:[—-.!?")


def words(text: str) -> list[str]:
    """The text's words, lower-cased, in order."""
    return WORD.findall(text.lower())


def capitalized_words(text: str) -> Iterator[tuple[str, bool]]:
    """Each capitalized word of two letters or more, as written, with whether it opens the
    text, a sentence or a quotation (where a capital does not show that it is a name)."""
    for match in WORD.finditer(text):
        word = match.group()
        if not word[0].isupper() or len(word) < 2:
            continue
        before = text[: match.start()].rstrip()
        yield word, not before or before[-1] in _OPENERS


def sentences(text: str) -> list[str]:
    """Sentences, and lines on their own (a heading has no full stop)."""
    return [s.strip() for line in _lines(text) for s in SENTENCE_END.split(line) if s.strip()]


def _lines(text: str) -> list[str]:
    """The text's lines, with hard-wrapped ones joined again: a line that stops mid-sentence
    and runs on in lower case, or one of eight words or more (prose, not a heading), goes on
    in the next line. Otherwise a wrapped sentence would be cut in two, and half a sentence
    quoted or put into a prompt."""
    joined: list[str] = []
    for line in _LINE_BREAK.split(text):
        previous = joined[-1] if joined else ""
        runs_on = previous and not re.search(_STOP + r"$", previous) and line
        starts_item = _LIST_ITEM.match(line)
        if runs_on and not starts_item and (line[0].islower() or len(previous.split()) >= 8):
            joined[-1] = f"{previous} {line}"
        else:
            joined.append(line)
    return joined


def shingles(text: str, size: int) -> set[str]:
    """The text's runs of ``size`` consecutive words (all of it when it is shorter)."""
    found = words(text)
    if len(found) < size:
        return {" ".join(found)} if found else set()
    return {" ".join(found[i : i + size]) for i in range(len(found) - size + 1)}


def day_number(value: date) -> int:
    """YYYYMMDD as a number, so Chroma and SQLite can filter date ranges with < and >."""
    return int(value.strftime("%Y%m%d"))
