"""The date a sentence gives for what it reports, resolved against the article's
publication date: "on Monday" in an article of Wednesday 8 June is Monday 6 June.

News writes relative days ("yesterday", "on Tuesday") for the week around publication and
day-and-month dates ("on 5 March", "March 5") without the year when it is the current one.
Only these are read; a sentence without one is dated by its article's publication.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_WEEKDAY = "|".join(_WEEKDAYS)

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th)? (?:of )?({_MONTH})\b\.?(?:,? (\d{{4}}))?", re.I
)
_MONTH_DAY = re.compile(rf"\b({_MONTH})\.? (\d{{1,2}})(?:st|nd|rd|th)?\b(?:,? (\d{{4}}))?", re.I)
_WEEKDAY_WORD = re.compile(rf"\b(last |next |this )?({_WEEKDAY})\b", re.I)
_YESTERDAY = re.compile(r"\b(yesterday|last night)\b", re.I)
_TODAY = re.compile(r"\b(today|this morning|this afternoon|this evening|tonight)\b", re.I)
# A date without its year this far after publication is last year's ("on 20 December" in
# an article of 3 January).
_YEARLESS_AHEAD = timedelta(days=60)


@dataclass(frozen=True)
class EventDate:
    day: date
    phrase: str  # the words it was read from, as written


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _with_year(month: int, day: int, year: str | None, published: date) -> date | None:
    if year:
        return _safe(int(year), month, day)
    found = _safe(published.year, month, day)
    if found is not None and found - published > _YEARLESS_AHEAD:
        found = _safe(published.year - 1, month, day)
    return found


def _weekday(match: re.Match[str], published: date) -> date:
    wanted = _WEEKDAYS[match[2].lower()]
    modifier = (match[1] or "").strip().lower()
    if modifier == "next":
        return published + timedelta(days=(wanted - published.weekday() - 1) % 7 + 1)
    # The latest such day up to publication: reports look back on the days just past.
    back = (published.weekday() - wanted) % 7
    if modifier == "last" and back == 0:
        back = 7
    return published - timedelta(days=back)


def _add(found: list[tuple[int, EventDate]], match: re.Match[str], day: date | None) -> None:
    if day is not None:
        found.append((match.start(), EventDate(day, match[0])))


def event_date(sentence: str, published: date) -> EventDate | None:
    """The first date the sentence gives, resolved against ``published``; None if none."""
    found: list[tuple[int, EventDate]] = []
    if m := _ISO.search(sentence):
        _add(found, m, _safe(int(m[1]), int(m[2]), int(m[3])))
    if m := _DAY_MONTH.search(sentence):
        _add(found, m, _with_year(_MONTHS[m[2].lower()], int(m[1]), m[3], published))
    if m := _MONTH_DAY.search(sentence):
        _add(found, m, _with_year(_MONTHS[m[1].lower()], int(m[2]), m[3], published))
    if m := _WEEKDAY_WORD.search(sentence):
        found.append((m.start(), EventDate(_weekday(m, published), m[0])))
    if m := _YESTERDAY.search(sentence):
        found.append((m.start(), EventDate(published - timedelta(days=1), m[0])))
    if m := _TODAY.search(sentence):
        found.append((m.start(), EventDate(published, m[0])))
    if not found:
        return None
    return min(found, key=lambda item: item[0])[1]
