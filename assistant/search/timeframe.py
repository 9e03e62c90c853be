"""The time a question is about, read from its own words relative to a reference date.

"this week", "yesterday", "in March 2024", "last month", "recently" … become a date range
and/or a wish for recent articles. Retrieval uses them as a preference, not a hard filter:
a reader's "this week" is approximate, and a story may be published days after the event.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))

_RECENT = re.compile(
    r"\b(recent(ly)?|latest|newest|currently|now|just|this (week|weekend)|past few days)\b",
    re.I,
)
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)? ({_MONTH})\.?,? (\d{{4}})\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b({_MONTH})\.? (\d{{1,2}})(?:st|nd|rd|th)?,? (\d{{4}})\b", re.I)
_MONTH_YEAR = re.compile(rf"\b({_MONTH})\.?,? (\d{{4}})\b", re.I)
_IN_MONTH = re.compile(rf"\b(?:in|during|since) ({_MONTH})\b", re.I)
_IN_YEAR = re.compile(r"\b(?:in|during) (\d{4})\b", re.I)
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@dataclass(frozen=True)
class Timeframe:
    since: date | None = None
    until: date | None = None
    recent: bool = False  # prefer articles close to the reference date

    @property
    def is_set(self) -> bool:
        return self.recent or self.since is not None or self.until is not None


def _month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def read_timeframe(question: str, reference: date) -> Timeframe:
    """The date range and recency a question asks for, relative to ``reference``."""
    text = question.lower()
    recent = bool(_RECENT.search(text))
    day: date | None = None
    if m := _ISO.search(text):
        day = _safe_date(int(m[1]), int(m[2]), int(m[3]))
    elif m := _DAY_MONTH_YEAR.search(text):
        day = _safe_date(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    elif m := _MONTH_DAY_YEAR.search(text):
        day = _safe_date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    if day:
        # Reports of a day's events come out that day and the next few.
        return Timeframe(day - timedelta(days=1), day + timedelta(days=3), recent)
    if m := _MONTH_YEAR.search(text):
        return Timeframe(*_month_range(int(m[2]), _MONTHS[m[1].lower()]), recent)
    if m := _IN_YEAR.search(text):
        year = int(m[1])
        return Timeframe(date(year, 1, 1), date(year, 12, 31), recent)
    if "yesterday" in text:
        return Timeframe(reference - timedelta(days=1), reference, True)
    if re.search(r"\btoday\b|\btonight\b", text):
        return Timeframe(reference, reference, True)
    if re.search(r"\b(this|past) week(end)?\b|\bpast (few|several) days\b", text):
        return Timeframe(reference - timedelta(days=7), reference, True)
    if re.search(r"\blast week\b", text):
        return Timeframe(reference - timedelta(days=14), reference, True)
    if re.search(r"\b(this|past) month\b", text):
        return Timeframe(reference - timedelta(days=31), reference, True)
    if re.search(r"\blast month\b", text):
        first = reference.replace(day=1)
        previous = first - timedelta(days=1)
        return Timeframe(previous.replace(day=1), previous, recent)
    if re.search(r"\b(this|past) year\b", text):
        return Timeframe(reference.replace(month=1, day=1), reference, True)
    if re.search(r"\blast year\b", text):
        year = reference.year - 1
        return Timeframe(date(year, 1, 1), date(year, 12, 31), recent)
    if m := _IN_MONTH.search(text):
        month = _MONTHS[m[1].lower()]
        year = reference.year if month <= reference.month else reference.year - 1
        return Timeframe(*_month_range(year, month), recent)
    return Timeframe(recent=recent)
