"""Reading a small model's verdict reply: a strict schema first, then a lenient reading.

Small models wrap JSON in prose or code fences, misspell labels, or forget fields. The
strict path validates with pydantic; the caller may retry once showing the model its error;
the lenient path takes what can be recognised. Nothing here raises on a bad reply.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError, field_validator

Verdict = Literal["SUPPORTED", "REFUTED", "CONFLICTING", "NOT ENOUGH INFO"]
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
_VERDICT_WORD = re.compile(
    r"NOT[ _]ENOUGH[ _]INFO(?:RMATION)?|SUPPORTED|REFUTED|CONFLICTING", re.IGNORECASE
)
_QUOTED = re.compile(r"[\"“]([^\"”]{12,400})[\"”]")
_VERDICT_FIELD = re.compile(r'"verdict"\s*:\s*"([^"]+)"', re.IGNORECASE)
_EVIDENCE_FIELD = re.compile(
    r'"passage"\s*:\s*(\d+)\s*,\s*"quote"\s*:\s*"((?:[^"\\]|\\.){12,600})', re.IGNORECASE
)


def canonical_verdict(value: str) -> Verdict | None:
    return _ALIASES.get(re.sub(r"[\s_]+", " ", value.strip().upper()).replace(" ", " "))


class EvidenceItem(BaseModel):
    passage: int = Field(ge=1)
    quote: str = Field(min_length=1)


class VerdictReply(BaseModel):
    verdict: Verdict
    evidence: list[EvidenceItem] = Field(default_factory=list)
    explanation: str = ""

    @field_validator("verdict", mode="before")
    @classmethod
    def _known_verdict(cls, value: Any) -> Any:
        if isinstance(value, str) and (known := canonical_verdict(value)):
            return known
        return value


def _first_json_object(text: str) -> str | None:
    """The first balanced {...} in the text, skipping code fences and prose around it."""
    start = text.find("{")
    while start >= 0:
        depth, in_string, escaped = 0, False, False
        for index in range(start, len(text)):
            char = text[index]
            if in_string:
                escaped = char == "\\" and not escaped
                if char == '"' and not escaped:
                    in_string = False
                continue
            if char == '"':
                in_string = True
            elif char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    return text[start : index + 1]
        start = text.find("{", start + 1)
    return None


def parse_strict(text: str) -> tuple[VerdictReply | None, str]:
    """(reply, "") or (None, a description of what is wrong, to show the model)."""
    candidate = _first_json_object(text)
    if candidate is None:
        return None, "the reply holds no JSON object"
    try:
        return VerdictReply.model_validate(json.loads(candidate)), ""
    except json.JSONDecodeError as exc:
        return None, f"the JSON is malformed ({exc.msg} at position {exc.pos})"
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "reply"
        return None, f"field '{where}': {first['msg']}"


def parse_lenient(text: str) -> VerdictReply:
    """What can be recognised in a reply that is not valid JSON (cut short, say): the
    verdict field or else the first verdict word, and the evidence fields or else any quoted
    text (its source is found when it is verified)."""
    field = _VERDICT_FIELD.search(text)
    verdict = canonical_verdict(field.group(1)) if field else None
    if verdict is None and (word := _VERDICT_WORD.search(text)):
        verdict = canonical_verdict(word.group(0))
    evidence = [
        EvidenceItem(passage=int(n), quote=q.replace('\\"', '"'))
        for n, q in _EVIDENCE_FIELD.findall(text)
        if int(n) >= 1
    ] or [EvidenceItem(passage=1, quote=q) for q in _QUOTED.findall(text)]
    return VerdictReply(verdict=verdict or "NOT ENOUGH INFO", evidence=evidence)


def parse_claim_list(text: str) -> list[str] | None:
    """A JSON list of claim strings, or None."""
    start, end = text.find("["), text.rfind("]")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start : end + 1])
    except json.JSONDecodeError:
        return None
    if not isinstance(data, list) or not all(isinstance(c, str) for c in data):
        return None
    claims = [c.strip() for c in data if c.strip()]
    return claims or None
