"""What one day looks like on a calendar: its holidays, closures, and the working hours left.

:class:`CalendarRules` holds everything a calendar is made of (time zone, weekly pattern,
official holidays, ad-hoc closures) and answers one question, :meth:`CalendarRules.plan`: for a
local calendar day, which instants are working time. The arithmetic in
:mod:`hub.calendars.working_time` is built on those plans alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.calendars.calendar_file import Closure
from hub.calendars.hours import TimeRange, WeeklyPattern, subtract
from hub.calendars.official_holidays import Holiday, OfficialHolidays

Interval = tuple[datetime, datetime]  # UTC, start included, end excluded


@dataclass(frozen=True)
class DayPlan:
    """One local calendar day: why it is (not) worked, and its working intervals in UTC."""

    day: date
    usual_hours: tuple[TimeRange, ...]  # what the weekly pattern gives this weekday
    hours: tuple[TimeRange, ...]  # what is left after holidays and closures, local time
    intervals: tuple[Interval, ...]  # ``hours`` as UTC instants, in order
    holidays: tuple[Holiday, ...] = ()
    closures: tuple[Closure, ...] = ()

    @property
    def is_working_day(self) -> bool:
        return bool(self.intervals)

    @property
    def working_time(self) -> timedelta:
        return sum((end - start for start, end in self.intervals), timedelta())

    @property
    def is_reduced(self) -> bool:
        """Worked, but less than the weekly pattern says (a partial closure)."""
        return self.is_working_day and self.hours != self.usual_hours


@dataclass(frozen=True)
class CalendarRules:
    """Everything one named calendar is made of."""

    name: str
    timezone: ZoneInfo
    week: WeeklyPattern
    holidays: OfficialHolidays
    closures: tuple[Closure, ...] = ()

    def plan(self, day: date) -> DayPlan:
        usual = self.week.hours_on(day.weekday())
        holidays = self.holidays.on(day)
        closures = tuple(closure for closure in self.closures if closure.covers(day))
        hours = () if holidays else usual
        for closure in closures:
            hours = subtract(hours, closure.hours) if closure.hours else ()
        return DayPlan(day, usual, hours, self._instants(day, hours), holidays, closures)

    def _instants(self, day: date, hours: tuple[TimeRange, ...]) -> tuple[Interval, ...]:
        # zoneinfo applies the offset in force on that day: +04:30 in the summers before 2022.
        intervals = []
        for part in hours:
            start = datetime.combine(day, part.start, tzinfo=self.timezone).astimezone(UTC)
            end = datetime.combine(day, part.end, tzinfo=self.timezone).astimezone(UTC)
            if end > start:  # a range lying wholly in a skipped DST hour has no instants
                intervals.append((start, end))
        return tuple(intervals)
