"""The built-in 'iran' calendar on days checked by hand against the official Jalali calendar."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from tehran_time import at

from hub.calendars.business_calendar import BusinessCalendar
from hub.calendars.jalali import JalaliDateError, parse_jalali_date


def names(calendar: BusinessCalendar, jalali_day: str) -> set[str]:
    return {holiday.name_en for holiday in calendar.plan(parse_jalali_date(jalali_day)).holidays}


def is_worked(calendar: BusinessCalendar, jalali_day: str) -> bool:
    return calendar.plan(parse_jalali_date(jalali_day)).is_working_day


@pytest.mark.parametrize("year", ["1404", "1405"])
def test_the_four_days_of_nowruz_are_holidays_and_the_fifth_is_not(
    iran: BusinessCalendar, year: str
) -> None:
    # 1–4 Farvardin are the Nowruz holidays. 1404-01-05 is a Tuesday (2025-03-25), 1405-01-05 a
    # Wednesday (2026-03-25): ordinary working days.
    assert names(iran, f"{year}-01-01") >= {"Nowruz"}
    for day in ("02", "03", "04"):
        assert "Nowruz Holiday" in names(iran, f"{year}-01-{day}")
        assert not is_worked(iran, f"{year}-01-{day}")
    assert is_worked(iran, f"{year}-01-05")


def test_the_first_of_farvardin_1405_is_both_nowruz_and_eid_al_fitr(iran: BusinessCalendar) -> None:
    # In 1405 Eid al-Fitr (1 Shawwal 1447) fell on 1 Farvardin (2026-03-21), and its second day on
    # 2 Farvardin; the package lists both holidays on each day, with Persian names too.
    plan = iran.plan(parse_jalali_date("1405-01-01"))
    assert {(h.name_fa, h.name_en) for h in plan.holidays} == {
        ("جشن نوروز", "Nowruz"),
        ("عید سعید فطر", "Eid al-Fitr"),
    }
    assert names(iran, "1405-01-02") == {"Nowruz Holiday", "Eid al-Fitr Holiday"}


@pytest.mark.parametrize("year", ["1404", "1405"])
def test_islamic_republic_day_and_nature_day_close_the_offices(
    iran: BusinessCalendar, year: str
) -> None:
    # 12 Farvardin (Islamic Republic Day) and 13 Farvardin (Sizdah Bedar, Nature's Day).
    assert "Islamic Republic Day" in names(iran, f"{year}-01-12")
    assert names(iran, f"{year}-01-13") == {"Nature's Day"}
    assert not is_worked(iran, f"{year}-01-12")


def test_tasua_and_ashura_1404_fall_on_a_weekend_and_join_it(iran: BusinessCalendar) -> None:
    # The package puts Tasua and Ashura 1447 AH on 2025-07-05 and 2025-07-06, i.e. Saturday
    # 14 Tir and Sunday 15 Tir 1404. With Thursday and Friday closed, an office shut at 14:30 on
    # Wednesday 11 Tir opens again only on Monday 16 Tir: four days, no working time.
    assert names(iran, "1404-04-14") == {"Tasua"}
    assert names(iran, "1404-04-15") == {"Ashura"}
    assert parse_jalali_date("1404-04-14") == date(2025, 7, 5)
    assert iran.working_time_between(at("1404-04-11", "14:30"), at("1404-04-16", "07:30")) == (
        timedelta(0)
    )
    assert iran.add_working_hours(at("1404-04-11", "14:00"), 1) == at("1404-04-16", "08:00")


@pytest.mark.parametrize(
    ("jalali", "gregorian"), [("1403-11-22", "2025-02-10"), ("1404-11-22", "2026-02-11")]
)
def test_22_bahman_is_a_holiday(iran: BusinessCalendar, jalali: str, gregorian: str) -> None:
    # The anniversary of the revolution: a Monday in 1403, a Wednesday in 1404.
    assert parse_jalali_date(jalali) == date.fromisoformat(gregorian)
    assert names(iran, jalali) == {"Islamic Revolution Day"}
    assert not is_worked(iran, jalali)


def test_1403_is_a_leap_year_whose_30_esfand_exists_and_1404_is_not(iran: BusinessCalendar) -> None:
    # 1403 is leap: 30 Esfand 1403 is 2025-03-20, the day before Nowruz 1404. 1404 has 29 days in
    # Esfand, so an admin writing 1404-12-30 made a mistake the hub must name.
    assert parse_jalali_date("1403-12-30") == date(2025, 3, 20)
    assert not is_worked(iran, "1403-12-30")
    with pytest.raises(JalaliDateError, match="1404-12-30"):
        parse_jalali_date("1404-12-30")


def test_a_day_of_work_across_the_jalali_year_end_skips_esfand_29_and_nowruz(
    iran: BusinessCalendar,
) -> None:
    # Tuesday 28 Esfand 1403 is the last working day of 1403: 29 Esfand is Oil Nationalization
    # Day, 30 Esfand a Thursday, then Nowruz. The next working day is Tuesday 5 Farvardin 1404.
    received = at("1403-12-28", "10:00")
    assert iran.add_working_days(received, 1) == at("1404-01-05", "10:00")
    assert iran.working_time_between(received, at("1404-01-05", "10:00")) == timedelta(hours=7)


def test_working_time_across_the_gregorian_new_year_is_exact(iran: BusinessCalendar) -> None:
    # Wednesday 2025-12-31 12:00 to Sunday 2026-01-04 09:00: Thursday and Friday are closed and
    # Saturday 2026-01-03 is Imam Ali's birthday, so 2.5 h on Wednesday + 1.5 h on Sunday.
    start = datetime(2025, 12, 31, 8, 30, tzinfo=UTC)  # 12:00 in Tehran
    end = datetime(2026, 1, 4, 5, 30, tzinfo=UTC)  # 09:00 in Tehran
    assert iran.working_time_between(start, end) == timedelta(hours=4)
    assert iran.add_working_hours(start, 4) == end


def test_thursdays_and_fridays_are_closed_by_default(iran: BusinessCalendar) -> None:
    # Wednesday 6 Farvardin 1404 is worked; Thursday the 7th and Friday the 8th are not, so one
    # hour asked for at 14:00 on Wednesday ends at 08:00 on Saturday 9 Farvardin.
    assert is_worked(iran, "1404-01-06")
    assert not is_worked(iran, "1404-01-07")
    assert not is_worked(iran, "1404-01-08")
    assert iran.add_working_hours(at("1404-01-06", "14:00"), 1) == at("1404-01-09", "08:00")


def test_a_summer_day_before_2022_uses_the_old_daylight_saving_offset(
    iran: BusinessCalendar,
) -> None:
    # Iran kept daylight saving until 2022: on Wednesday 9 Tir 1400 (2021-06-30) Tehran was at
    # +04:30, so the office opened at 03:00 UTC; in winter (1400-09-10) and since 2022 at +03:30,
    # at 04:00 UTC.
    summer_2021 = iran.plan(date(2021, 6, 30)).intervals
    assert summer_2021 == (
        (datetime(2021, 6, 30, 3, 0, tzinfo=UTC), datetime(2021, 6, 30, 10, 0, tzinfo=UTC)),
    )
    assert iran.plan(date(2021, 12, 1)).intervals[0][0] == datetime(2021, 12, 1, 4, 0, tzinfo=UTC)
    assert iran.plan(date(2023, 6, 28)).intervals[0][0] == datetime(2023, 6, 28, 4, 0, tzinfo=UTC)
    assert iran.add_working_hours(datetime(2021, 6, 30, 3, 0, tzinfo=UTC), 7) == datetime(
        2021, 6, 30, 10, 0, tzinfo=UTC
    )
