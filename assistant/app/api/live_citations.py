"""An answer streamed with its citations already checked.

The page streams the model's words and then replaces them with the checked answer; a
client of the API cannot take back what it was sent. So each sentence is sent once the
next one has begun (a citation written after its full stop still joins it), checked by the
same attribution as the final answer, and what is sent adds up to the final answer's text.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from assistant.answer.attribution import attribute
from assistant.types import Attribution, Passage

log = logging.getLogger(__name__)

# Only a piece that may end a sentence can make one ready to send.
_ENDINGS = frozenset(".!?\n")


class CheckedStream:
    def __init__(self) -> None:
        self.passages: Sequence[Passage] = ()
        self._written = ""  # the model's words so far
        self._sent = ""  # the checked text sent so far

    def add(self, piece: str) -> str:
        """The model's next words in; the checked text now ready to send out."""
        self._written += piece
        if not _ENDINGS & set(piece):
            return ""
        sentences = attribute(self._written, self.passages).sentences
        # The last sentence may be unfinished, or still gain a citation.
        return self._advance(Attribution(sentences[:-1]).render())

    def finish(self, final: str) -> str:
        """The rest of the final answer, once the chain has checked it whole."""
        rest = self._advance(final)
        if not final.startswith(self._sent):
            log.warning("The streamed answer differs from the checked one: %r", final)
        return rest

    def _advance(self, ready: str) -> str:
        if len(ready) <= len(self._sent) or not ready.startswith(self._sent):
            return ""
        delta, self._sent = ready[len(self._sent) :], ready
        return delta
