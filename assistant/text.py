"""Small text and date helpers that several stages share, each defined once."""

from __future__ import annotations

from datetime import date


def day_number(value: date) -> int:
    """YYYYMMDD as a number, so Chroma and SQLite can filter date ranges with < and >."""
    return int(value.strftime("%Y%m%d"))
