"""Properties of working-time arithmetic that must hold for any instants and amounts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tehran_time import write_calendar

from hub.calendars.business_calendar import BusinessCalendar, load_calendar

# A calendar with every complication at once: a split shift, a half-day Thursday, a holiday
# moved, a week of closures and a partial closure — on top of the official holidays.
_AWKWARD = """\
week:
  saturday: ["07:00-12:00", "13:00-16:00"]
  thursday: "07:30-12:30"
closures:
  - {date: 1404-05-10, until: 1404-05-16, reason: heat}
  - {date: 1404-06-02, hours: "09:00-11:00", reason: drill}
holidays:
  move: [{from: 1404-04-15, to: 1404-04-16, reason: moon sighting}]
"""


@pytest.fixture(scope="module", params=["iran", "awkward"])
def calendar(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> BusinessCalendar:
    folder: Path = tmp_path_factory.mktemp("calendars")
    if request.param == "awkward":
        write_calendar(folder, "awkward", _AWKWARD)
    return load_calendar(request.param, folder)


instants = st.datetimes(
    min_value=datetime(2019, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
amounts = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(hours=500))
properties = settings(max_examples=150, deadline=None)


def is_inside_working_hours(calendar: BusinessCalendar, moment: datetime) -> bool:
    intervals = calendar.plan(calendar.local_day(moment)).intervals
    return any(start <= moment <= end for start, end in intervals)


def working_time_by_walking_days(calendar: BusinessCalendar, a: datetime, b: datetime) -> timedelta:
    """A slow, obvious reference: the overlap of [a, b) with every day's intervals."""
    total, day = timedelta(), calendar.local_day(a)
    while day <= calendar.local_day(b):
        for start, end in calendar.plan(day).intervals:
            total += max(timedelta(), min(end, b) - max(start, a))
        day += timedelta(days=1)
    return total


@properties
@given(start=instants, amount=amounts)
def test_adding_working_time_then_measuring_it_gives_the_same_amount(
    calendar: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    due = calendar.add_working_hours(start, amount)
    assert calendar.working_time_between(start, due) == amount


@properties
@given(start=instants, amount=amounts)
def test_the_result_is_inside_working_hours_and_the_earliest_such_instant(
    calendar: BusinessCalendar, start: datetime, amount: timedelta
) -> None:
    due = calendar.add_working_hours(start, amount)
    assert is_inside_working_hours(calendar, due)
    assert calendar.working_time_between(start, due - timedelta(microseconds=1)) < amount


@properties
@given(
    start=instants,
    later=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=40)),
    amount=amounts,
    more=amounts,
)
def test_adding_is_monotonic_in_the_start_and_in_the_amount(
    calendar: BusinessCalendar,
    start: datetime,
    later: timedelta,
    amount: timedelta,
    more: timedelta,
) -> None:
    assert calendar.add_working_hours(start, amount) <= calendar.add_working_hours(
        start + later, amount
    )
    assert calendar.add_working_hours(start, amount) < calendar.add_working_hours(
        start, amount + more
    )


@properties
@given(a=instants, b=instants, c=instants)
def test_working_time_between_is_additive(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    assert calendar.working_time_between(a, b) + calendar.working_time_between(b, c) == (
        calendar.working_time_between(a, c)
    )


@properties
@given(a=instants, span=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=400)))
def test_working_time_between_agrees_with_walking_day_by_day(
    calendar: BusinessCalendar, a: datetime, span: timedelta
) -> None:
    assert calendar.working_time_between(a, a + span) == working_time_by_walking_days(
        calendar, a, a + span
    )


@properties
@given(start=instants, days=st.integers(min_value=1, max_value=60))
def test_working_days_land_inside_working_hours_and_grow_with_the_count(
    calendar: BusinessCalendar, start: datetime, days: int
) -> None:
    due = calendar.add_working_days(start, days)
    assert is_inside_working_hours(calendar, due)
    assert start < due < calendar.add_working_days(start, days + 1)
    # Exactly `days` working days begin after the start and no later than the due day.
    begun, day = 0, calendar.local_day(start)
    while day <= calendar.local_day(due):
        plan = calendar.plan(day)
        begun += plan.is_working_day and plan.intervals[0][0] > start
        day += timedelta(days=1)
    assert begun == days
