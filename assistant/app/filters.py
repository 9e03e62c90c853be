"""Date and source filters as a person types them, in a form field or on the command line."""

from __future__ import annotations

from datetime import date

from assistant.errors import AssistantError
from assistant.ingest.readers.base import parse_date
from assistant.types import Filters

ALL_SOURCES = "All sources"


def parse_filters(since: str, until: str, source: str, as_of: str = "") -> Filters:
    """Form fields to filters; a date that cannot be read is an error naming the field."""
    parsed: dict[str, date | None] = {}
    for name, value in (("Since", since), ("Until", until), ("As of", as_of)):
        value = (value or "").strip()
        parsed[name] = parse_date(value) if value else None
        if value and parsed[name] is None:
            raise AssistantError(f"'{name}' must be a date like 2024-03-25, not {value!r}.")
    chosen = source if source and source != ALL_SOURCES else None
    return Filters(
        since=parsed["Since"], until=parsed["Until"], source=chosen, as_of=parsed["As of"]
    )
