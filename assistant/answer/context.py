"""Turn retrieved passages into the context block of a prompt, within a token budget."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from assistant.tokens import TokenBudget
from assistant.types import Passage

log = logging.getLogger(__name__)

_CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")


@dataclass(frozen=True)
class PackedContext:
    text: str
    passages: list[Passage]  # numbered from 1 in this order
    left_out: list[Passage]


def _attribute(value: str) -> str:
    return value.replace('"', "'").replace("\n", " ")


def format_passage(number: int, passage: Passage) -> str:
    # Passages are delimited so that text inside an article cannot pose as instructions or
    # close its own block early.
    body = passage.text.replace("</passage>", "</ passage>")
    return (
        f'<passage id="{number}" title="{_attribute(passage.title)}" '
        f'published="{passage.published or "unknown"}" source="{_attribute(passage.source)}">\n'
        f"{body}\n</passage>"
    )


def pack_context(passages: list[Passage], budget_tokens: int) -> PackedContext:
    """Take passages in rank order while they fit; one that does not fit is left out whole
    (never cut), and that is logged, so the model never sees a silently truncated text."""
    budget = TokenBudget(budget_tokens)
    kept: list[Passage] = []
    left_out: list[Passage] = []
    blocks: list[str] = []
    for passage in passages:
        block = format_passage(len(kept) + 1, passage)
        if budget.try_add(block + "\n\n"):
            kept.append(passage)
            blocks.append(block)
        else:
            left_out.append(passage)
    if left_out:
        log.info(
            "Left %d passage(s) out of the prompt to stay within %d context tokens: %s",
            len(left_out),
            budget_tokens,
            ", ".join(f"{p.title[:40]!r}#{p.index}" for p in left_out),
        )
    return PackedContext("\n\n".join(blocks), kept, left_out)


def cited_numbers(answer: str, available: int) -> list[int]:
    """The passage numbers an answer cites, in order of first citation."""
    seen: list[int] = []
    for match in _CITATION.finditer(answer):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            number = int(part)
            if 1 <= number <= available and number not in seen:
                seen.append(number)
    return seen
