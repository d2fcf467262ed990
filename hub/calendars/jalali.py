"""Jalali (Solar Hijri) dates for people: formatting in Tehran time, and parsing what admins write.

The hub stores and computes in UTC; people in Golestan read and write the Jalali calendar with
Persian digits. This module is the one place where the two meet::

    format_jalali(datetime(2026, 4, 4, 7, 0, tzinfo=UTC))      -> "۱۴۰۵/۰۱/۱۵ ۱۰:۳۰"
    format_jalali_long(date(2026, 4, 4))                        -> "شنبه ۱۵ فروردین ۱۴۰۵"
    parse_jalali_date("1405-01-13")                             -> date(2026, 4, 2)
    parse_jalali_month("1405-08")                               -> (start, end) in UTC, end excluded

Conversions are done by ``jdatetime``; its ``ValueError`` is translated into
:class:`JalaliDateError`, which names the text that was wrong.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Literal
from zoneinfo import ZoneInfo

import jdatetime

from hub.core.errors import HubError

TEHRAN = ZoneInfo("Asia/Tehran")

Digits = Literal["fa", "en"]
Language = Literal["fa", "en"]

MONTHS_FA: tuple[str, ...] = tuple(jdatetime.date.j_months_fa)
MONTHS_EN: tuple[str, ...] = tuple(jdatetime.date.j_months_en)
# Index 0 is Saturday: the Iranian week starts on Saturday, as jdatetime's weekday() does.
WEEKDAYS_FA: tuple[str, ...] = tuple(jdatetime.date.j_weekdays_fa)
WEEKDAYS_EN: tuple[str, ...] = tuple(jdatetime.date.j_weekdays_en)

_TO_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Admins paste dates typed with Persian or Arabic-Indic digits; both read as ASCII digits.
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_DATE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")


class JalaliDateError(HubError, ValueError):
    """A Jalali date or month written by a person does not exist or cannot be read."""


def persian_digits(text: str) -> str:
    """``text`` with its ASCII digits written as Persian digits."""
    return text.translate(_TO_PERSIAN)


def ascii_digits(text: str) -> str:
    """``text`` with Persian and Arabic-Indic digits written as ASCII digits."""
    return text.translate(_TO_ASCII)


def _with_digits(text: str, digits: Digits) -> str:
    return persian_digits(text) if digits == "fa" else text


def _in_tehran(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; the hub only formats aware times")
    return moment.astimezone(TEHRAN)


def to_jalali(day: date) -> jdatetime.date:
    """The Jalali date of a Gregorian calendar day."""
    return jdatetime.date.fromgregorian(date=day)


def local_day(moment: datetime) -> date:
    """The calendar day (Gregorian) that ``moment`` falls on in Tehran."""
    return _in_tehran(moment).date()


def format_jalali(moment: datetime | date, with_time: bool = True, digits: Digits = "fa") -> str:
    """``۱۴۰۵/۰۱/۱۵ ۱۰:۳۰``: an aware datetime shown in Tehran time, or a plain day."""
    if isinstance(moment, datetime):
        local = _in_tehran(moment)
        text = to_jalali(local.date()).strftime("%Y/%m/%d")
        if with_time:
            text += local.strftime(" %H:%M")
    else:
        text = to_jalali(moment).strftime("%Y/%m/%d")
    return _with_digits(text, digits)


def month_name(month: int, language: Language = "fa") -> str:
    """The name of Jalali month 1–12: ``فروردین`` / ``Farvardin``."""
    return (MONTHS_FA if language == "fa" else MONTHS_EN)[month - 1]


def weekday_name(day: date, language: Language = "fa") -> str:
    """The name of the weekday of ``day``: ``شنبه`` / ``Saturday``."""
    return (WEEKDAYS_FA if language == "fa" else WEEKDAYS_EN)[to_jalali(day).weekday()]


def format_jalali_long(
    moment: datetime | date, language: Language = "fa", digits: Digits = "fa"
) -> str:
    """``شنبه ۱۵ فروردین ۱۴۰۵``: a day with its weekday and month names (Tehran time)."""
    day = _in_tehran(moment).date() if isinstance(moment, datetime) else moment
    jalali = to_jalali(day)
    text = f"{weekday_name(day, language)} {jalali.day} {month_name(jalali.month, language)} "
    return _with_digits(text + str(jalali.year), digits)


def parse_jalali_date(text: str) -> date:
    """The Gregorian day of a Jalali date written ``1405-01-13`` (or ``۱۴۰۵/۰۱/۱۳``)."""
    match = _DATE.match(ascii_digits(text.strip()))
    if match is None:
        raise JalaliDateError(f"{text!r} is not a Jalali date written YYYY-MM-DD (e.g. 1405-01-13)")
    year, month, day = (int(part) for part in match.groups())
    try:
        return jdatetime.date(year, month, day).togregorian()
    except ValueError as exc:
        raise JalaliDateError(f"{text!r} is not a day of the Jalali calendar: {exc}") from exc


def days_in_month(year: int, month: int) -> int:
    """How many days Jalali month ``month`` of ``year`` has (Esfand: 30 in a leap year)."""
    if month < 12:
        return 31 if month <= 6 else 30
    return 30 if jdatetime.date(year, 1, 1).isleap() else 29


def parse_jalali_month(text: str) -> tuple[datetime, datetime]:
    """The UTC instants where Jalali month ``1405-08`` starts and ends (end excluded).

    Both are midnights in Tehran, so a month is exactly what a person there calls that month.
    """
    match = _MONTH.match(ascii_digits(text.strip()))
    if match is None:
        raise JalaliDateError(f"{text!r} is not a Jalali month written YYYY-MM (e.g. 1405-08)")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise JalaliDateError(f"{text!r}: a Jalali month is numbered 1 to 12, not {month}")
    first = jdatetime.date(year, month, 1).togregorian()
    after = jdatetime.date(year + month // 12, month % 12 + 1, 1).togregorian()
    return _tehran_midnight(first), _tehran_midnight(after)


def _tehran_midnight(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=TEHRAN).astimezone(UTC)
