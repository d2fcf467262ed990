"""Jalali dates as people in Tehran read and write them."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.calendars.jalali import (
    JalaliDateError,
    days_in_month,
    format_jalali,
    format_jalali_long,
    month_name,
    parse_jalali_date,
    parse_jalali_month,
)


def test_a_utc_instant_is_shown_in_tehran_time_with_persian_digits() -> None:
    # 2026-04-04 07:00 UTC is 10:30 in Tehran (+03:30), on Saturday 15 Farvardin 1405.
    assert format_jalali(datetime(2026, 4, 4, 7, 0, tzinfo=UTC)) == "۱۴۰۵/۰۱/۱۵ ۱۰:۳۰"
    assert format_jalali(datetime(2026, 4, 4, 7, 0, tzinfo=UTC), digits="en") == "1405/01/15 10:30"
    assert format_jalali(datetime(2026, 4, 4, 7, 0, tzinfo=UTC), with_time=False) == "۱۴۰۵/۰۱/۱۵"


def test_late_evening_utc_is_already_the_next_day_in_tehran() -> None:
    # 2026-03-20 21:00 UTC is 00:30 on 1 Farvardin 1405 in Tehran: Nowruz has begun there.
    assert (
        format_jalali(datetime(2026, 3, 20, 21, 0, tzinfo=UTC), digits="en") == "1405/01/01 00:30"
    )


def test_a_summer_time_before_2022_is_shown_with_the_old_offset() -> None:
    # 2021-07-01 05:30 UTC was 10:00 in Tehran, at +04:30 then.
    assert format_jalali(datetime(2021, 7, 1, 5, 30, tzinfo=UTC), digits="en") == "1400/04/10 10:00"


def test_a_day_is_written_long_with_its_weekday_and_month_names() -> None:
    assert format_jalali_long(date(2026, 4, 4)) == "شنبه ۱۵ فروردین ۱۴۰۵"
    assert (
        format_jalali_long(date(2026, 4, 4), language="en", digits="en")
        == "Saturday 15 Farvardin 1405"
    )
    assert [month_name(m, "en") for m in (1, 8, 12)] == ["Farvardin", "Aban", "Esfand"]
    assert month_name(11) == "بهمن"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="no time zone"):
        format_jalali(datetime(2026, 4, 4, 10, 30))


@pytest.mark.parametrize("text", ["1405-01-13", "1405/1/13", "۱۴۰۵-۰۱-۱۳", " 1405-01-13 "])
def test_a_jalali_date_is_read_in_the_ways_people_write_it(text: str) -> None:
    # 13 Farvardin 1405, Sizdah Bedar, is 2026-04-02.
    assert parse_jalali_date(text) == date(2026, 4, 2)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("1405-13-01", "is not a day of the Jalali calendar"),
        ("1404-12-30", "is not a day of the Jalali calendar"),
        ("13 Farvardin", "is not a Jalali date written YYYY-MM-DD"),
    ],
)
def test_a_date_that_does_not_exist_is_refused_with_the_text(text: str, problem: str) -> None:
    with pytest.raises(JalaliDateError, match=problem) as caught:
        parse_jalali_date(text)
    assert repr(text) in str(caught.value)


def test_a_month_is_the_span_between_two_tehran_midnights() -> None:
    # 1 Aban 1405 is 2026-10-23 and 1 Azar 2026-11-22; midnight in Tehran is 20:30 UTC before.
    start, end = parse_jalali_month("1405-08")
    assert start == datetime(2026, 10, 22, 20, 30, tzinfo=UTC)
    assert end == datetime(2026, 11, 21, 20, 30, tzinfo=UTC)


def test_esfand_of_a_leap_year_has_thirty_days_and_the_month_ends_at_nowruz() -> None:
    assert days_in_month(1403, 12) == 30
    assert days_in_month(1404, 12) == 29
    start, end = parse_jalali_month("1403-12")
    assert (end - start).days == 30
    assert end == datetime(2025, 3, 20, 20, 30, tzinfo=UTC)  # Nowruz 1404 begins in Tehran


def test_month_thirteen_is_refused() -> None:
    with pytest.raises(JalaliDateError, match="numbered 1 to 12"):
        parse_jalali_month("1405-13")
