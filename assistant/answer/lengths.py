"""The summary lengths a person can ask for, each described once: what the model is told,
where its reply is cut, and how many tokens it may write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from assistant.types import Length


@dataclass(frozen=True)
class LengthRule:
    unit: Literal["sentences", "bullets"]
    most: int  # the upper end of the instruction, where the length guard cuts
    max_tokens: int  # output tokens a reply needs at most; a bound for the server as well
    wanted: str  # the instruction, as the object of "Write …"

    @property
    def instruction(self) -> str:
        """For one article's summary."""
        return f"Write {self.wanted}"


LENGTHS: dict[Length, LengthRule] = {
    "brief": LengthRule("sentences", 3, 220, "2 to 3 sentences."),
    "paragraph": LengthRule("sentences", 6, 420, "one paragraph of 4 to 6 sentences."),
    "bullets": LengthRule("bullets", 6, 420, "3 to 6 bullet points, each starting with '- '."),
    # The article's own key sentences, chosen without the model (answer/key_sentences.py);
    # a topic asked for at this length is summarized as "brief".
    "key": LengthRule("sentences", 3, 220, "2 to 3 sentences."),
}
LENGTH_NAMES: tuple[Length, ...] = get_args(Length)
