"""Calendar files: an admin's closures and holiday corrections, and the errors when one is wrong."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from tehran_time import at, write_calendar

from hub.calendars.business_calendar import CalendarCache, CalendarFileError, load_calendar
from hub.calendars.jalali import parse_jalali_date
from hub.core.errors import NotFound
from hub.core.settings import REPO_ROOT


def problems_of(config: Path, name: str = "iran") -> list[tuple[str, str, str]]:
    with pytest.raises(CalendarFileError) as caught:
        load_calendar(name, config)
    return [(Path(p.file).name, p.key_path, p.message) for p in caught.value.problems]


def test_the_shipped_iran_file_is_valid() -> None:
    assert load_calendar("iran", REPO_ROOT / "config").name == "iran"


def test_a_heat_closure_written_in_jalali_closes_the_day(tmp_path: Path) -> None:
    # Tuesday 14 Mordad 1404 (2025-08-05) is an ordinary working day until the admin closes it.
    config = write_calendar(tmp_path, "iran", "closures:\n  - {date: 1404-05-14, reason: heat}\n")
    calendar = load_calendar("iran", config)
    plan = calendar.plan(parse_jalali_date("1404-05-14"))
    assert not plan.is_working_day
    assert [closure.reason for closure in plan.closures] == ["heat"]
    # Monday 14:00 + 1 h: 30 min on Monday, then Tuesday is closed, 30 min on Wednesday.
    assert calendar.add_working_hours(at("1404-05-13", "14:00"), 1) == at("1404-05-15", "08:00")


def test_a_closure_of_several_days_and_one_of_some_hours(tmp_path: Path) -> None:
    config = write_calendar(
        tmp_path,
        "iran",
        "closures:\n"
        "  - {date: 1404-05-18, until: 1404-05-19, reason: mourning}\n"
        '  - {date: 1404-05-20, hours: "10:00-14:30", reason: heat}\n',
    )
    calendar = load_calendar("iran", config)
    assert not calendar.plan(parse_jalali_date("1404-05-18")).is_working_day
    assert not calendar.plan(parse_jalali_date("1404-05-19")).is_working_day
    reduced = calendar.plan(parse_jalali_date("1404-05-20"))
    assert reduced.is_reduced
    assert reduced.working_time == timedelta(hours=2, minutes=30)  # 07:30-10:00 only


def test_moving_an_estimated_lunar_holiday_after_the_moon_was_sighted(tmp_path: Path) -> None:
    # The package estimates Eid al-Fitr 1448 AH on Wednesday 19 Esfand 1405 (2027-03-10) and its
    # second day on the 20th. If the moon is sighted a day later, both move one day on.
    default = load_calendar("iran", tmp_path / "none")
    assert {h.name_en for h in default.plan(parse_jalali_date("1405-12-19")).holidays} == {
        "Eid al-Fitr (estimated)"
    }
    config = write_calendar(
        tmp_path,
        "iran",
        "holidays:\n"
        "  move:\n"
        "    - {from: 1405-12-20, to: 1405-12-21, reason: moon sighting}\n"
        "    - {from: 1405-12-19, to: 1405-12-20, reason: moon sighting}\n",
    )
    corrected = load_calendar("iran", config)
    assert corrected.plan(parse_jalali_date("1405-12-19")).is_working_day
    eid = corrected.plan(parse_jalali_date("1405-12-20")).holidays
    assert [(h.name_en, h.moved_from) for h in eid] == [
        ("Eid al-Fitr (estimated)", parse_jalali_date("1405-12-19"))
    ]
    second_day = corrected.plan(parse_jalali_date("1405-12-21")).holidays
    assert [h.name_en for h in second_day] == ["Eid al-Fitr Holiday (estimated)"]


def test_removing_a_holiday_makes_the_day_a_working_day(tmp_path: Path) -> None:
    # 22 Bahman 1404 is a Wednesday, worked once the holiday is removed.
    config = write_calendar(tmp_path, "iran", "holidays:\n  remove: [{date: 1404-11-22}]\n")
    assert load_calendar("iran", config).plan(parse_jalali_date("1404-11-22")).is_working_day


def test_an_agency_calendar_adds_to_the_national_file(tmp_path: Path) -> None:
    write_calendar(tmp_path, "iran", "closures: [{date: 1404-05-14, reason: heat}]\n")
    config = write_calendar(
        tmp_path, "water-company", 'week:\n  thursday: "08:00-12:00"\ntimezone: Asia/Tehran\n'
    )
    water = load_calendar("water-company", config / "calendars")  # the folder itself works too
    assert not water.plan(parse_jalali_date("1404-05-14")).is_working_day  # national closure
    assert water.plan(parse_jalali_date("1404-05-16")).working_time == timedelta(hours=4)  # Thu


def test_an_unknown_calendar_name_is_an_error_not_the_default(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="no calendar named 'water'"):
        load_calendar("water", tmp_path)
    with pytest.raises(NotFound, match="not a calendar name"):
        load_calendar("../secrets", tmp_path)


def test_a_jalali_date_that_does_not_exist_is_named_with_file_and_key(tmp_path: Path) -> None:
    # Unquoted, 1404-07-31 looks like a YAML timestamp; it must still be read as Jalali (Mehr has
    # 30 days), not crash or become a Gregorian date of the year 1404.
    config = write_calendar(
        tmp_path,
        "iran",
        "closures:\n  - {date: 1404-05-14, reason: ok}\n  - {date: 1404-07-31, reason: x}\n",
    )
    [(file, key, message)] = problems_of(config)
    assert (file, key) == ("iran.yaml", "closures[1].date")
    assert "'1404-07-31' is not a day of the Jalali calendar" in message


def test_every_shape_problem_is_reported_at_once(tmp_path: Path) -> None:
    config = write_calendar(
        tmp_path,
        "iran",
        "week: {thursday: half}\nclosures: [{date: 1404-05-14}]\nholydays: {}\n",
    )
    found = {(key, message) for _, key, message in problems_of(config)}
    assert ("$", "Additional properties are not allowed ('holydays' was unexpected)") in found
    assert ("closures[0]", "'reason' is a required property") in found
    assert any(key == "week.thursday" for key, _ in found)


def test_a_time_range_that_ends_before_it_starts_is_refused(tmp_path: Path) -> None:
    config = write_calendar(tmp_path, "iran", 'week: {saturday: "14:30-07:30"}\n')
    assert problems_of(config) == [
        ("iran.yaml", "week.saturday", "'14:30-07:30' ends before it starts")
    ]


def test_moving_a_day_that_is_not_a_holiday_is_refused(tmp_path: Path) -> None:
    config = write_calendar(
        tmp_path, "iran", "holidays:\n  move: [{from: 1404-05-14, to: 1404-05-15}]\n"
    )
    assert problems_of(config) == [
        (
            "iran.yaml",
            "holidays.move[0].from",
            "1404-05-14 is not an official holiday, so it cannot be moved or removed",
        )
    ]


def test_an_unknown_time_zone_and_broken_yaml_are_refused(tmp_path: Path) -> None:
    write_calendar(tmp_path, "iran", "timezone: Asia/Gorgan\n")
    assert problems_of(tmp_path)[0][1:] == (
        "timezone",
        "'Asia/Gorgan' is not a known IANA time zone (e.g. Asia/Tehran)",
    )
    write_calendar(tmp_path, "iran", "closures: [\n")
    [(_, key, message)] = problems_of(tmp_path)
    assert key == "$" and message.startswith("not valid YAML")


def test_a_week_without_any_working_hours_is_refused(tmp_path: Path) -> None:
    days = ("saturday", "sunday", "monday", "tuesday", "wednesday")
    config = write_calendar(tmp_path, "iran", "week:\n" + "".join(f"  {d}: closed\n" for d in days))
    assert problems_of(config) == [("iran.yaml", "week", "no weekday has working hours")]


def test_the_cache_keeps_a_calendar_until_its_file_changes(tmp_path: Path) -> None:
    config = write_calendar(tmp_path, "iran", "description: before the heat wave\n")
    cache = CalendarCache(config)
    first = cache.get("iran")
    assert cache.get("iran") is first
    path = write_calendar(tmp_path, "iran", "closures: [{date: 1404-05-14, reason: heat}]\n")
    stat = (path / "calendars" / "iran.yaml").stat()
    os.utime(path / "calendars" / "iran.yaml", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    reloaded = cache.get("iran")
    assert reloaded is not first
    assert not reloaded.plan(parse_jalali_date("1404-05-14")).is_working_day
