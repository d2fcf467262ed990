"""Arithmetic in working time on a business calendar: UTC in, UTC out.

Definitions (the deadline sweep and the figures rely on them):

- **working time between a and b** is the length of the working intervals inside ``[a, b)``;
  negative when ``b`` is before ``a``, so it is additive: ``between(a, b) + between(b, c) ==
  between(a, c)`` for any three instants.
- **t plus h working hours** is the earliest instant ``u`` with ``between(t, u) == h``; it always
  lies inside working hours, and may be the very end of a working period (14:30 rather than the
  next morning's 07:30).
- **t plus N working days** is on the Nth working day that *begins after t* (a day whose first
  working instant is later than t). If t is inside working hours (closing time included), it
  is t's local time of day on that day — moved forward to that day's next working instant if
  that time is not worked there (a half-day Thursday, a partial closure), or to the end of its
  hours if none is left. If t is
  outside working hours (evening, weekend, holiday, lunch break), it is the end of that day's
  working hours. So a request arriving Saturday 10:00 is due one working day later on Sunday
  10:00; one arriving Friday, Saturday 06:00 or Saturday 20:00 is due at the end of the first
  full working day after it.

Speed: each day's intervals are computed once; per year a table of cumulative working time is
kept, so measuring is O(1) per year spanned and adding hours is a binary search — no loops over
minutes, and over days only for adding working days.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hub.calendars.days import CalendarRules, DayPlan
from hub.core.errors import HubError

_MICROSECOND = timedelta(microseconds=1)
# A calendar whose every day is closed would make the searches below run forever.
_MAX_YEARS_SEARCHED = 20


def _micros(span: timedelta) -> int:
    return span // _MICROSECOND


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{moment.isoformat()} has no time zone; working time needs aware times")


class BusinessCalendar:
    """A named calendar's working time; built by
    :func:`hub.calendars.business_calendar.load_calendar`."""

    def __init__(self, rules: CalendarRules) -> None:
        self.rules = rules
        self._plans: dict[date, DayPlan] = {}
        self._cumulative: dict[int, list[int]] = {}

    @property
    def name(self) -> str:
        return self.rules.name

    @property
    def timezone(self) -> ZoneInfo:
        return self.rules.timezone

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.name!r}>"

    def plan(self, day: date) -> DayPlan:
        """The working hours, holidays and closures of one local calendar day."""
        found = self._plans.get(day)
        if found is None:
            found = self._plans[day] = self.rules.plan(day)
        return found

    def local_day(self, moment: datetime) -> date:
        _require_aware(moment)
        return moment.astimezone(self.timezone).date()

    def is_working_time(self, moment: datetime) -> bool:
        """Whether ``moment`` lies in a working period (its end excluded)."""
        return any(
            start <= moment < end for start, end in self.plan(self.local_day(moment)).intervals
        )

    def working_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Working time in ``[start, end)``; negative if ``end`` is before ``start``."""
        if end < start:
            return -self.working_time_between(end, start)
        year_a, done_a = self._position(start)
        year_b, done_b = self._position(end)
        if year_a == year_b:
            return timedelta(microseconds=done_b - done_a)
        between = sum(self._year(year)[-1] for year in range(year_a + 1, year_b))
        return timedelta(microseconds=self._year(year_a)[-1] - done_a + between + done_b)

    def add_working_hours(self, moment: datetime, hours: float | timedelta) -> datetime:
        """The earliest instant ``hours`` of working time after ``moment`` (see module doc)."""
        span = hours if isinstance(hours, timedelta) else timedelta(hours=hours)
        needed = _micros(span)
        if needed < 0:
            raise ValueError(f"cannot add a negative working time ({span})")
        year, done = self._position(moment)
        if needed == 0:
            return moment.astimezone(UTC)
        target = done + needed
        for _ in range(_MAX_YEARS_SEARCHED):
            table = self._year(year)
            if target <= table[-1]:
                return self._instant_in_year(year, table, target)
            target -= table[-1]
            year += 1
        raise self._no_working_time()

    def add_working_days(self, moment: datetime, days: int) -> datetime:
        """``moment`` plus ``days`` working days (see the module doc for the definition)."""
        if days < 0:
            raise ValueError(f"cannot add a negative number of working days ({days})")
        day = self.local_day(moment)
        if days == 0:
            return moment.astimezone(UTC)
        today = self.plan(day)
        inside = any(start <= moment <= end for start, end in today.intervals)
        if not (today.intervals and today.intervals[0][0] > moment):
            day += timedelta(days=1)  # today's hours have begun: it does not count
        target = self._nth_working_day(day, days)
        if not inside:
            return target.intervals[-1][1]
        local_time = moment.astimezone(self.timezone).time()
        same_time = datetime.combine(target.day, local_time, tzinfo=self.timezone).astimezone(UTC)
        for start, end in target.intervals:
            if same_time <= end:
                return max(start, same_time)
        return target.intervals[-1][1]

    def _nth_working_day(self, first: date, count: int) -> DayPlan:
        day, found = first, 0
        for _ in range(_MAX_YEARS_SEARCHED * 366):
            plan = self.plan(day)
            found += plan.is_working_day
            if found == count:
                return plan
            day += timedelta(days=1)
        raise self._no_working_time()

    def _no_working_time(self) -> HubError:
        return HubError(
            f"calendar {self.name!r} has no working time in {_MAX_YEARS_SEARCHED} years"
        )

    def _year(self, year: int) -> list[int]:
        """Working microseconds before each day of ``year``: entry i is before Jan 1 + i days."""
        table = self._cumulative.get(year)
        if table is None:
            table, day, total = [0], date(year, 1, 1), 0
            while day.year == year:
                total += _micros(self.plan(day).working_time)
                table.append(total)
                day += timedelta(days=1)
            self._cumulative[year] = table
        return table

    def _position(self, moment: datetime) -> tuple[int, int]:
        """(local year, working microseconds from that year's start to ``moment``)."""
        day = self.local_day(moment)
        index = day.timetuple().tm_yday - 1
        within = sum(
            _micros(min(end, moment) - start)
            for start, end in self.plan(day).intervals
            if moment > start
        )
        return day.year, self._year(day.year)[index] + within

    def _instant_in_year(self, year: int, table: list[int], target: int) -> datetime:
        index = bisect_left(table, target) - 1  # table[index] < target <= table[index + 1]
        remaining = target - table[index]
        plan = self.plan(date(year, 1, 1) + timedelta(days=index))
        for start, end in plan.intervals:
            length = _micros(end - start)
            if remaining <= length:
                return start + timedelta(microseconds=remaining)
            remaining -= length
        raise AssertionError("the cumulative table and the day's intervals disagree")
