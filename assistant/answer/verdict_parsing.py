"""Verdict names, and reading a small model's structured reply (the list of claims a text
is split into): a strict schema first, then a lenient reading.

Small models wrap JSON in prose or code fences, cut it short or write bullet points. The
strict path validates with pydantic; the caller may retry once showing the model its error;
the lenient path takes what can be recognised. Nothing here raises on a bad reply.
"""

from __future__ import annotations

import json
import re
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints, ValidationError

from assistant.types import Verdict

VERDICTS: tuple[Verdict, ...] = ("SUPPORTED", "REFUTED", "CONFLICTING", "NOT ENOUGH INFO")

_ALIASES: dict[str, Verdict] = {
    "SUPPORTED": "SUPPORTED",
    "SUPPORTS": "SUPPORTED",
    "SUPPORT": "SUPPORTED",
    "TRUE": "SUPPORTED",
    "REFUTED": "REFUTED",
    "REFUTES": "REFUTED",
    "FALSE": "REFUTED",
    "CONTRADICTED": "REFUTED",
    "CONFLICTING": "CONFLICTING",
    "DISPUTED": "CONFLICTING",
    "MIXED": "CONFLICTING",
    "NOT ENOUGH INFO": "NOT ENOUGH INFO",
    "NOT ENOUGH INFORMATION": "NOT ENOUGH INFO",
    "NOT_ENOUGH_INFO": "NOT ENOUGH INFO",
    "NEI": "NOT ENOUGH INFO",
    "UNVERIFIABLE": "NOT ENOUGH INFO",
}


def canonical_verdict(value: str) -> Verdict | None:
    return _ALIASES.get(re.sub(r"[\s_]+", " ", value.strip().upper()).replace(" ", " "))


class ClaimList(BaseModel):
    claims: list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=3)]] = Field(
        min_length=1
    )


def _json_list(text: str) -> str | None:
    """The outermost [...] in the text, skipping code fences and prose around it."""
    start, end = text.find("["), text.rfind("]")
    return text[start : end + 1] if 0 <= start < end else None


def parse_claims_strict(text: str) -> tuple[list[str] | None, str]:
    """(claims, "") or (None, a description of what is wrong, to show the model)."""
    candidate = _json_list(text)
    if candidate is None:
        return None, "the reply holds no JSON list"
    try:
        return ClaimList.model_validate({"claims": json.loads(candidate)}).claims, ""
    except json.JSONDecodeError as exc:
        return None, f"the JSON is malformed ({exc.msg} at position {exc.pos})"
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"][1:]) or "list"
        return None, f"item {where}: {first['msg']}"


_QUOTED_ITEM = re.compile(r"[\"“]([^\"”\n]{3,400})[\"”]")
_LIST_LINE = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+(.{3,400})$", re.MULTILINE)


def parse_claims_lenient(text: str) -> list[str] | None:
    """What can be recognised in a reply that is not a valid list (cut short, or written
    as bullet points): its quoted strings, else its list lines. None when nothing is."""
    found = _QUOTED_ITEM.findall(text) or _LIST_LINE.findall(text)
    claims = [c.strip().strip("\"',") for c in found if len(c.split()) >= 2]
    return claims or None
