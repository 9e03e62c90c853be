"""The model's two-line reply ("Answer: …" then "Source: …") turned into what the reader sees.

Asked for sentences, the small model copies whole passages and names every candidate in
them; asked for the answer in a few words and then the one sentence it rests on, it names
what was asked. The reader sees the short answer with its citation; the sentence it rests
on is the quote under that citation (the attribution step finds it in the passage, word for
word). A reply not in this form is shown as it is.
"""

from __future__ import annotations

import re

from assistant.answer.context import CITATION

_ANSWER = re.compile(r"^[*_\s]*answer[*_\s]*:[*_\s]*", re.IGNORECASE)
_SOURCE = re.compile(r"\n[*_\s]*source[*_\s]*:", re.IGNORECASE)
# Enough characters to tell whether the reply opens with "Answer:" (with some markup).
_OPENING = 12


def short_answer(reply: str) -> str:
    """The answer line of a two-line reply, carrying the source line's citation if it
    has none of its own; any other reply unchanged."""
    opening = _ANSWER.match(reply.lstrip())
    if opening is None:
        return reply
    body = reply.lstrip()[opening.end() :]
    source = _SOURCE.search("\n" + body)
    answer = body[: source.start() - 1] if source else body
    answer = answer.strip()
    if source and not CITATION.search(answer):
        cited = CITATION.search(body[source.start() :])
        if cited:
            answer = f"{answer.rstrip('.')} [{cited.group(1)}]."
    return answer or reply


class ReplyStream:
    """What to show of a reply while it streams: the answer line without its label, and
    nothing after it; a reply in another form as it comes."""

    def __init__(self) -> None:
        self.reply = ""
        self._shown = 0

    def _visible(self) -> str:
        stripped = self.reply.lstrip()
        opening = _ANSWER.match(stripped)
        if opening is None:
            undecided = len(stripped) < _OPENING and "\n" not in stripped
            return "" if undecided else self.reply
        return stripped[opening.end() :].split("\n", 1)[0]

    def feed(self, piece: str) -> str:
        """The new text to show once ``piece`` has arrived."""
        self.reply += piece
        visible = self._visible()
        new = visible[self._shown :]
        self._shown = max(self._shown, len(visible))
        return new

    def flush(self) -> str:
        """What is left to show once the reply has ended (a short reply still undecided)."""
        stripped = self.reply.lstrip()
        visible = self.reply if _ANSWER.match(stripped) is None else self._visible()
        new = visible[self._shown :]
        self._shown = len(visible)
        return new
