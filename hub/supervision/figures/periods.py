"""Periods the supervising office asks about: a Jalali month, quarter or year, or a range of days.

::

    parse_period("1405-08")                 # Aban 1405
    parse_period("1405-Q3")                 # Mehr, Aban, Azar 1405
    parse_period("1405")                    # the whole year 1405
    parse_period("1405-01-01..1405-01-15")  # Jalali days, both included
    parse_period("2026-03-21..2026-04-04")  # Gregorian days (a year after 1700), both included

Every period is a pair of UTC instants (start included, end excluded) at Tehran midnights, so it
is exactly what a person in Golestan calls that month or that day; ``months()`` cuts it into the
Jalali months it touches, for trends, and ``days()`` into its days (the roll-up's finest grain).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import jdatetime

from hub.calendars.jalali import (
    TEHRAN,
    JalaliDateError,
    ascii_digits,
    local_day,
    month_name,
    parse_jalali_date,
    parse_jalali_month,
    persian_digits,
    to_jalali,
)

_YEAR = re.compile(r"^(\d{4})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")
_MONTH = re.compile(r"^\d{4}[-/]\d{1,2}$")
_RANGE = re.compile(r"^(.+?)\.\.(.+)$")
_GREGORIAN_AFTER = 1700
FIRST_YEAR, LAST_YEAR = 1300, 1499  # Jalali years a period may name (1921–2121)
LONGEST_DAYS = 3660  # ten years: the longest period figures are asked over
FORMS = (
    "write 1405-08 (month), 1405-Q3 (quarter), 1405 (year) or 1405-01-01..1405-01-15 (days, "
    f"Jalali, or Gregorian YYYY-MM-DD), between the years {FIRST_YEAR} and {LAST_YEAR}"
)
FORMS_FA = (
    "دوره نامعتبر است؛ به یکی از این شکل‌ها بنویسید: ۱۴۰۵-۰۸ (ماه)، ۱۴۰۵-Q3 (فصل)، ۱۴۰۵ (سال) "
    "یا ۱۴۰۵-۰۱-۰۱..۱۴۰۵-۰۱-۱۵ (روزها)، میان سال‌های ۱۳۰۰ و ۱۴۹۹"
)


@dataclass(frozen=True)
class Period:
    """``[start, end)`` in UTC with the label a person would give it."""

    label: str  # 1405-08, 1405-Q3, 1405, or 1405-01-01..1405-01-15
    start: datetime
    end: datetime

    def label_in(self, language: str = "fa") -> str:
        """Aban 1405 / آبان ۱۴۰۵ for a month; the label itself otherwise."""
        if _MONTH.match(self.label):
            year, month = (int(part) for part in self.label.split("-"))
            text = f"{month_name(month, 'fa' if language == 'fa' else 'en')} {year}"
            return persian_digits(text) if language == "fa" else text
        return persian_digits(self.label) if language == "fa" else self.label

    def months(self) -> list[Period]:
        """The Jalali months this period touches, each cut to the period."""
        first = to_jalali(self.start.astimezone(TEHRAN).date())
        year, month = first.year, first.month
        months: list[Period] = []
        while True:
            label = f"{year}-{month:02d}"
            start, end = parse_jalali_month(label)
            if start >= self.end:
                return months
            months.append(Period(label, max(start, self.start), min(end, self.end)))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)

    def days(self) -> list[Period]:
        """The Tehran days of this period, each labelled with its Jalali date (``1405-08-15``)."""
        day, last = local_day(self.start), local_day(self.end)
        days = []
        while day < last:
            jalali = to_jalali(day)
            label = f"{jalali.year}-{jalali.month:02d}-{jalali.day:02d}"
            after = day + timedelta(days=1)
            days.append(Period(label, _midnight(day), _midnight(after)))
            day = after
        return days


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=TEHRAN).astimezone(UTC)


def _jalali_start(year: int, month: int) -> datetime:
    return _midnight(jdatetime.date(year, month, 1).togregorian())


def _day(text: str) -> date:
    clean = ascii_digits(text.strip())
    if clean[:4].isdigit() and int(clean[:4]) > _GREGORIAN_AFTER:
        try:
            day = date.fromisoformat(clean)
        except ValueError as exc:
            raise JalaliDateError(f"{text!r} is not a date written YYYY-MM-DD") from exc
        _check_year(to_jalali(day).year, text)
        return day
    day = parse_jalali_date(clean)
    _check_year(to_jalali(day).year, text)
    return day


def _check_year(year: int, text: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise JalaliDateError(f"{text!r} is out of range: {FORMS}")


def parse_period(text: str) -> Period:
    """The period written as ``1405-08``, ``1405-Q3``, ``1405`` or ``<day>..<day>``.

    Anything else — a year outside 1300–1499, a range longer than ten years, text that is no
    date — raises :class:`JalaliDateError` saying which forms are accepted.
    """
    try:
        return _parse_period(text)
    except JalaliDateError as exc:
        if FORMS in str(exc):
            raise
        raise JalaliDateError(f"{exc}: {FORMS}") from exc
    except (ValueError, OverflowError) as exc:
        raise JalaliDateError(f"{text!r} is not a period: {FORMS}") from exc


def _parse_period(text: str) -> Period:
    clean = ascii_digits(text.strip())
    if len(clean) > 40:
        raise JalaliDateError(f"the period is longer than 40 characters: {FORMS}")
    year_part = clean[:4]
    if year_part.isdigit() and ".." not in clean:
        _check_year(int(year_part), text)
    if match := _YEAR.match(clean):
        year = int(match.group(1))
        return Period(clean, _jalali_start(year, 1), _jalali_start(year + 1, 1))
    if match := _QUARTER.match(clean):
        year, quarter = int(match.group(1)), int(match.group(2))
        start = _jalali_start(year, 3 * quarter - 2)
        end = _jalali_start(year + 1, 1) if quarter == 4 else _jalali_start(year, 3 * quarter + 1)
        return Period(f"{year}-Q{quarter}", start, end)
    if _MONTH.match(clean):
        start, end = parse_jalali_month(clean)
        year, month = (int(part) for part in re.split(r"[-/]", clean))
        return Period(f"{year}-{month:02d}", start, end)
    if match := _RANGE.match(clean):
        first, last = _day(match.group(1)), _day(match.group(2))
        if last < first:
            raise JalaliDateError(f"{text!r}: the range ends before it starts")
        if (last - first).days >= LONGEST_DAYS:
            raise JalaliDateError(f"{text!r}: a range may span at most ten years")
        return Period(clean, _midnight(first), _midnight(last + timedelta(days=1)))
    raise JalaliDateError(f"{text!r} is not a period: {FORMS}")


def current_month(now: datetime) -> Period:
    """The Jalali month ``now`` falls in (Tehran time)."""
    today = to_jalali(now.astimezone(TEHRAN).date())
    return parse_period(f"{today.year}-{today.month:02d}")


def quarter_of(month: str) -> str:
    """``1405-08`` → ``1405-Q3``."""
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def months_of(quarter: str) -> list[str]:
    """``1405-Q3`` → ``1405-07``, ``1405-08``, ``1405-09``."""
    year, number = quarter.split("-Q")
    return [f"{year}-{3 * int(number) - 2 + i:02d}" for i in range(3)]


def quarters_of(year: str) -> list[str]:
    """``1405`` → ``1405-Q1`` … ``1405-Q4``."""
    return [f"{year}-Q{number}" for number in range(1, 5)]
