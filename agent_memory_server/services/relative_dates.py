"""Relative dates in a query ("two weeks ago", "last month", "yesterday") read against a "now".

Pure functions: `query_window(text, now)` gives the span of time the query points at, or None
when it names none; `closeness(when, window)` says how near a record's date is to it (1 inside,
falling off outside). Used by services/ranking.py to favour memories whose `event_date` falls
where the asker's words point.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

DAY = 86_400.0
_UNITS = {"day": DAY, "week": 7 * DAY, "month": 30.44 * DAY, "year": 365.25 * DAY}
_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "a couple of": 2, "a couple": 2, "couple of": 2, "a few": 3, "few": 3, "several": 3,
}  # fmt: skip
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMBER = r"(\d{1,3}|" + "|".join(sorted(map(re.escape, _NUMBERS), key=len, reverse=True)) + ")"
_AGO = re.compile(r"\b" + _NUMBER + r"\s+(day|week|month|year)s?\s+ago\b")
_PAST = re.compile(r"\b(?:past|last)\s+" + _NUMBER + r"\s+(day|week|month|year)s?\b")
_LAST_UNIT = re.compile(r"\b(?:last|previous)\s+(week|month|year|weekend)\b")
_LAST_DAY = re.compile(r"\b(?:last|this past|past)\s+(" + "|".join(_WEEKDAYS) + r")\b")
_YESTERDAY = re.compile(r"\byesterday\b")
_TODAY = re.compile(r"\b(?:today|earlier today|this morning|tonight)\b")
_THIS_UNIT = re.compile(r"\bthis\s+(week|month|year)\b")


@dataclass(frozen=True)
class Window:
    """A span of time in epoch seconds; `start` <= `end`."""

    start: float
    end: float


def _count(word: str) -> float:
    return float(word) if word.isdigit() else float(_NUMBERS[word])


def query_window(text: str, now: float) -> Window | None:
    """The span of time the first relative date of `text` points at, relative to `now`.

    "N days/weeks/months/years ago" -> around now - N units (give or take half a unit, at
    least a day); "in the past N weeks" / "last N days" -> from then until now; "last
    week/month/year/weekend", "last Saturday", "yesterday", "today", "this week": the obvious
    span. Absolute dates and anything else: None.
    """
    lowered = " ".join(text.lower().split())
    if match := _AGO.search(lowered):
        unit = _UNITS[match.group(2)]
        centre = now - _count(match.group(1)) * unit
        slack = max(DAY, unit / 2)
        return Window(centre - slack, min(now, centre + slack))
    if match := _PAST.search(lowered):
        return Window(now - _count(match.group(1)) * _UNITS[match.group(2)], now)
    if match := _LAST_DAY.search(lowered):
        weekday = _WEEKDAYS.index(match.group(1))
        today = int((now // DAY + 3) % 7)  # 1970-01-01 was a Thursday (3)
        back = (today - weekday) % 7 or 7
        start = (now // DAY - back) * DAY
        return Window(start, start + DAY)
    if match := _LAST_UNIT.search(lowered):
        name = match.group(1)
        if name == "weekend":
            return Window(now - 9 * DAY, now - DAY)
        unit = _UNITS[name]
        return Window(now - 2 * unit, now - unit / 2)
    if _YESTERDAY.search(lowered):
        start = (now // DAY - 1) * DAY
        return Window(start, start + DAY)
    if _TODAY.search(lowered):
        return Window(now // DAY * DAY, now)
    if match := _THIS_UNIT.search(lowered):
        return Window(now - _UNITS[match.group(1)], now)
    return None


def closeness(when: float, window: Window) -> float:
    """1 inside the window, then exp(-distance / width) outside (width at least a day)."""
    if window.start <= when <= window.end:
        return 1.0
    width = max(DAY, window.end - window.start)
    distance = window.start - when if when < window.start else when - window.end
    return math.exp(-distance / width)
