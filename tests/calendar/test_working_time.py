"""Adding and measuring working time: the definitions the deadline sweep relies on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tehran_time import at, write_calendar

from hub.calendars.business_calendar import BusinessCalendar, load_calendar
from hub.calendars.jalali import parse_jalali_date

# The week used below has no holiday: Saturday 16 Farvardin 1404 (2025-04-05), Sunday 17, Monday
# 18, Tuesday 19, Wednesday 20, Thursday 21, Friday 22, Saturday 23.


def test_hours_within_one_day_end_the_same_day(iran: BusinessCalendar) -> None:
    assert iran.add_working_hours(at("1404-01-16", "08:00"), 3) == at("1404-01-16", "11:00")


def test_hours_that_fill_the_day_end_at_closing_time_not_the_next_morning(
    iran: BusinessCalendar,
) -> None:
    assert iran.add_working_hours(at("1404-01-16", "07:30"), 7) == at("1404-01-16", "14:30")


def test_hours_asked_for_in_the_evening_start_counting_the_next_morning(
    iran: BusinessCalendar,
) -> None:
    assert iran.add_working_hours(at("1404-01-16", "20:00"), 1.5) == at("1404-01-17", "09:00")


def test_hours_can_be_given_as_a_timedelta(iran: BusinessCalendar) -> None:
    span = timedelta(hours=2, minutes=15)
    assert iran.add_working_hours(at("1404-01-16", "08:00"), span) == at("1404-01-16", "10:15")


def test_working_time_between_counts_only_working_hours(iran: BusinessCalendar) -> None:
    # Wednesday 13:00 → Saturday 09:00: 1.5 h on Wednesday, Thursday and Friday closed, 1.5 h.
    start, end = at("1404-01-20", "13:00"), at("1404-01-23", "09:00")
    assert iran.working_time_between(start, end) == timedelta(hours=3)
    assert iran.working_time_between(end, start) == -timedelta(hours=3)


def test_a_working_day_from_inside_hours_is_the_same_time_on_the_next_working_day(
    iran: BusinessCalendar,
) -> None:
    assert iran.add_working_days(at("1404-01-16", "10:00"), 1) == at("1404-01-17", "10:00")
    assert iran.add_working_days(at("1404-01-20", "10:00"), 1) == at("1404-01-23", "10:00")
    assert iran.add_working_days(at("1404-01-16", "10:00"), 3) == at("1404-01-19", "10:00")


def test_a_working_day_from_the_evening_ends_with_the_next_working_day(
    iran: BusinessCalendar,
) -> None:
    assert iran.add_working_days(at("1404-01-16", "20:00"), 1) == at("1404-01-17", "14:30")


def test_a_working_day_from_early_morning_is_that_same_day(iran: BusinessCalendar) -> None:
    # Arriving at 06:00, before the office opens, the whole of that day is the first working day.
    assert iran.add_working_days(at("1404-01-16", "06:00"), 1) == at("1404-01-16", "14:30")


def test_a_working_day_from_a_friday_is_the_whole_of_saturday(iran: BusinessCalendar) -> None:
    assert iran.add_working_days(at("1404-01-22", "11:00"), 1) == at("1404-01-23", "14:30")


def test_zero_adds_nothing_and_negative_amounts_are_refused(iran: BusinessCalendar) -> None:
    moment = at("1404-01-22", "11:00")
    assert iran.add_working_hours(moment, 0) == moment
    assert iran.add_working_days(moment, 0) == moment
    with pytest.raises(ValueError, match="negative"):
        iran.add_working_hours(moment, -1)
    with pytest.raises(ValueError, match="negative"):
        iran.add_working_days(moment, -1)


def test_naive_datetimes_are_refused(iran: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="no time zone"):
        iran.add_working_hours(datetime(2025, 4, 5, 10, 0), 1)


def test_results_are_in_utc(iran: BusinessCalendar) -> None:
    moment = at("1404-01-16", "10:00").astimezone(iran.timezone)
    assert iran.add_working_hours(moment, 1).tzinfo is UTC


@pytest.fixture
def half_day_thursday(tmp_path: Path) -> BusinessCalendar:
    config = write_calendar(tmp_path, "iran", 'week:\n  thursday: "07:30-12:30"\n')
    return load_calendar("iran", config)


def test_a_half_day_thursday_by_decree_counts_five_hours(
    half_day_thursday: BusinessCalendar,
) -> None:
    # Wednesday 14:00 + 1 h: 30 min on Wednesday, 30 min on Thursday morning.
    assert half_day_thursday.add_working_hours(at("1404-01-20", "14:00"), 1) == at(
        "1404-01-21", "08:00"
    )
    assert half_day_thursday.plan(parse_jalali_date("1404-01-21")).working_time == timedelta(
        hours=5
    )


def test_a_working_day_landing_on_a_half_day_thursday_is_cut_at_its_closing_time(
    half_day_thursday: BusinessCalendar,
) -> None:
    # 10:00 exists on Thursday; 13:00 does not, so the deadline is Thursday's closing, 12:30.
    assert half_day_thursday.add_working_days(at("1404-01-20", "10:00"), 1) == at(
        "1404-01-21", "10:00"
    )
    assert half_day_thursday.add_working_days(at("1404-01-20", "13:00"), 1) == at(
        "1404-01-21", "12:30"
    )


def test_a_split_shift_skips_the_lunch_break(tmp_path: Path) -> None:
    config = write_calendar(
        tmp_path, "clinic", 'week:\n  saturday: ["07:00-12:00", "13:00-16:00"]\n'
    )
    clinic = load_calendar("clinic", config)
    assert clinic.add_working_hours(at("1404-01-16", "11:00"), 2) == at("1404-01-16", "14:00")
    assert not clinic.is_working_time(at("1404-01-16", "12:30"))
    # In the lunch break the clinic is outside hours: one working day is the end of Sunday.
    assert clinic.add_working_days(at("1404-01-16", "12:30"), 1) == at("1404-01-17", "14:30")
