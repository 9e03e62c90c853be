"""Each sentence of an article summary is checked against the article before the reader
sees it. One that gives a number or a name the article does not state, or that no sentence
of the article (or two adjacent ones) clearly states, is replaced by the article's own
closest sentence, or left out when that one is shown already (or when there is no support
judge to find it). The reader is told what was changed and why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from assistant.answer.summary_facts import Facts, SourceFacts, split_sentences
from assistant.answer.summary_support import FaithfulnessJudge


@dataclass(frozen=True)
class Omitted:
    """A summary sentence not shown: it states facts the article does not. What is shown
    instead, if anything: the article's closest sentence (or two adjacent ones)."""

    sentence: str
    facts: Facts
    text: str = ""

    @property
    def note(self) -> str:
        if self.text.strip():
            return (
                f"Gave the article's own words in place of a sentence that gives "
                f"{self.facts}, which the article does not state: “{self.sentence}”"
            )
        return (
            f"Left out a sentence that gives {self.facts}, which the article does not "
            f"state: “{self.sentence}”"
        )


@dataclass(frozen=True)
class Restated:
    """A summary sentence the article does not clearly state, and what is shown instead:
    the article's closest sentence (or two adjacent ones), spacing kept, or nothing when
    that is shown already."""

    sentence: str
    text: str

    @property
    def note(self) -> str:
        if self.text.strip():
            return (
                "Gave the article's own words in place of a sentence it does not clearly "
                f"state: “{self.sentence}”"
            )
        return (
            "Left out a sentence the article does not clearly state, whose closest "
            f"sentence in the article is shown already: “{self.sentence}”"
        )


# What the reader is told of a sentence the check changed.
CheckNote = Omitted | Restated

# A released part's frame: the spacing before it, a bullet mark, and the spacing after.
_FRAME = re.compile(r"^(\s*(?:[-*•]\s+)?)(.*?)(\s*)$", re.DOTALL)


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
    """Checks summary sentences against one article: its numbers and names, and, given a
    support judge, whether one or two adjacent sentences of it state each one."""

    def __init__(
        self, article: str, support: FaithfulnessJudge | None = None, judged: str = ""
    ) -> None:
        """``article`` is every text the summary may take facts from (title and date too);
        ``judged``, the article's text whose sentences the support judge reads."""
        self.source = SourceFacts(article)
        self.support = support
        self.judged = judged or article
        self._used: set[str] = set()  # article sentences the summary shown so far rests on

    def mend(self, text: str) -> str:
        """``text`` with each number broken by a space after its decimal point made whole
        again, where the article states the whole number ("2010. 31" stays two numbers
        unless the article has 2010.31)."""

        def join(match: re.Match[str]) -> str:
            whole = f"{match[1]}.{match[2]}"
            return whole if whole in self.source.numbers else match[0]

        return _BROKEN_DECIMAL.sub(join, text)

    def check(self, part: str) -> Omitted | Restated | None:
        """None when ``part`` (a sentence or bullet, with its spacing) may be shown as it
        is; else what to do instead."""
        frame = _FRAME.match(part)
        missing = self.source.missing(part)
        if missing:
            # The article's closest words, which cannot hold the facts it lacks: the model
            # most often added a detail to a sentence the article has.
            instead = self._in_article_words(frame, everything=True) or ""
            return Omitted(part.strip(), missing, instead)
        restated = self._in_article_words(frame, everything=False)
        return None if restated is None or frame is None else Restated(frame[2], restated)

    def _in_article_words(self, frame: re.Match[str] | None, everything: bool) -> str | None:
        """The framed part with each of its sentences that the article does not clearly
        state (or, with ``everything``, each of them) given as the article's closest
        sentence or two, spacing kept; "" when nothing is left to show, None when nothing
        changed (or there is no support judge to read the article with)."""
        if self.support is None or frame is None or not frame[2]:
            return None
        pieces: list[str] = []
        changed = False
        for judged in self.support.judge(frame[2], self.judged):
            span = split_sentences(judged.closest)
            if judged.supported and not everything:
                pieces.append(judged.sentence)
            else:
                changed = True
                # The article's words once only: a sentence the summary already rests on
                # is not shown again.
                unseen = [sentence for sentence in span if sentence not in self._used]
                if not unseen:
                    continue
                pieces.append(" ".join(unseen))
            self._used.update(span)
        if not changed:
            return None
        quote = " ".join(pieces)
        return f"{frame[1]}{quote}{frame[3]}" if quote else ""
