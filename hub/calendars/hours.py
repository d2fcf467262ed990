"""Working hours: time ranges within a day, and the weekly pattern of a calendar.

A day's hours are a sorted tuple of non-overlapping :class:`TimeRange` in local (Tehran) time,
written in calendar files as ``"07:30-14:30"`` or a list of such ranges (a split shift), or
``closed``. The default week is the one of Iranian government offices: Saturday to Wednesday
07:30–14:30; Thursday and Friday closed. Thursday's status changes by decree, so a calendar file
may open it for a half day (``thursday: "07:30-12:30"``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from itertools import pairwise

# Keys of the ``week`` block, in the order Python's ``date.weekday()`` numbers them (Monday = 0).
WEEKDAY_KEYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

CLOSED = "closed"
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True, order=True)
class TimeRange:
    """From ``start`` (included) to ``end`` (excluded) on one day, local time."""

    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def parse_time_range(text: str) -> TimeRange:
    """``"07:30-14:30"`` → TimeRange; ``ValueError`` saying what is wrong otherwise."""
    match = _RANGE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time range written HH:MM-HH:MM (e.g. 07:30-14:30)")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    try:
        start, end = time(h1, m1), time(h2, m2)
    except ValueError as exc:
        raise ValueError(f"{text!r} is not a time range within one day: {exc}") from exc
    if end <= start:
        raise ValueError(f"{text!r} ends before it starts")
    return TimeRange(start, end)


def parse_day_hours(value: str | list[str]) -> tuple[TimeRange, ...]:
    """A ``week`` entry: ``closed``, one range, or a list of ranges that must not overlap."""
    if value == CLOSED:
        return ()
    texts = [value] if isinstance(value, str) else value
    ranges = sorted(parse_time_range(text) for text in texts)
    for earlier, later in pairwise(ranges):
        if later.start < earlier.end:
            raise ValueError(f"{earlier} and {later} overlap")
    return tuple(ranges)


def subtract(ranges: Iterable[TimeRange], cut: TimeRange) -> tuple[TimeRange, ...]:
    """``ranges`` minus the closed range ``cut`` (a partial closure)."""
    kept: list[TimeRange] = []
    for part in ranges:
        if part.start < cut.start:
            kept.append(TimeRange(part.start, min(part.end, cut.start)))
        if part.end > cut.end:
            kept.append(TimeRange(max(part.start, cut.end), part.end))
    return tuple(kept)


@dataclass(frozen=True)
class WeeklyPattern:
    """Working hours for each weekday, indexed like ``date.weekday()`` (Monday = 0)."""

    days: tuple[tuple[TimeRange, ...], ...]

    def hours_on(self, weekday: int) -> tuple[TimeRange, ...]:
        return self.days[weekday]

    def with_changes(self, week: Mapping[str, str | list[str]]) -> WeeklyPattern:
        """This pattern with the weekdays named in a calendar file's ``week`` block replaced."""
        days = list(self.days)
        for key, value in week.items():
            days[WEEKDAY_KEYS.index(key)] = parse_day_hours(value)
        return WeeklyPattern(tuple(days))

    def has_working_time(self) -> bool:
        return any(self.days)


_OFFICE_HOURS = (TimeRange(time(7, 30), time(14, 30)),)

DEFAULT_WEEK = WeeklyPattern(
    (
        _OFFICE_HOURS,  # Monday (Doshanbeh)
        _OFFICE_HOURS,  # Tuesday (Seshanbeh)
        _OFFICE_HOURS,  # Wednesday (Chaharshanbeh)
        (),  # Thursday (Panjshanbeh): closed for government offices until a decree says otherwise
        (),  # Friday (Jomeh): the weekly holiday
        _OFFICE_HOURS,  # Saturday (Shanbeh)
        _OFFICE_HOURS,  # Sunday (Yekshanbeh)
    )
)
