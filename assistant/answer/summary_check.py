"""Each sentence of an article summary is checked against the article before the reader
sees it: one that gives a number or a name the article does not state is left out, and the
reader is told what was left out and why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.answer.summary_facts import Facts, SourceFacts


@dataclass(frozen=True)
class Omitted:
    """A summary sentence left out: it states facts the article does not."""

    sentence: str
    facts: Facts

    @property
    def note(self) -> str:
        return (
            f"Left out a sentence that gives {self.facts}, which the article does not "
            f"state: “{self.sentence}”"
        )


def date_in_words(published: str) -> str:
    """ "2024-03-25" as a summary would write it ("March 25, 2024"), kept as it is too."""
    try:
        day = date.fromisoformat(published)
    except ValueError:
        return published
    return f"{published} {day:%B} {day.day}, {day.year}"


# A stop and a space inside a number: the bundled model, copying "£1.1bn", at times writes
# "£1. 1bn", which reads as a sentence ending at "£1." and another beginning "1bn".
_BROKEN_DECIMAL = re.compile(r"(\d+)\. (\d+)")


class FactGate:
    """Checks summary sentences against one article's numbers and names."""

    def __init__(self, article: str) -> None:
        self.source = SourceFacts(article)

    def mend(self, text: str) -> str:
        """``text`` with each number broken by a space after its decimal point made whole
        again, where the article states the whole number ("2010. 31" stays two numbers
        unless the article has 2010.31)."""

        def join(match: re.Match[str]) -> str:
            whole = f"{match[1]}.{match[2]}"
            return whole if whole in self.source.numbers else match[0]

        return _BROKEN_DECIMAL.sub(join, text)

    def check(self, sentence: str) -> Omitted | None:
        missing = self.source.missing(sentence)
        return Omitted(sentence.strip(), missing) if missing else None
