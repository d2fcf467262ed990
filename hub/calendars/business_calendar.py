"""The front door to business calendars: load one by name, then do arithmetic in working time.

::

    calendar = load_calendar("iran", "config")
    due = calendar.add_working_days(received_at, 3)           # UTC in, UTC out
    late_by = calendar.working_time_between(due, resolved_at)  # a timedelta of working time
    calendar.plan(day).holidays                                # why a day is (not) worked

Long-running processes keep a :class:`CalendarCache` and ask it for calendars by name: it keeps
each calendar's day tables and reloads a calendar when one of its files changes.

The exact definitions of working hours and working days are in
:mod:`hub.calendars.working_time`; the calendar file format in :mod:`hub.calendars.calendar_file`.
"""

from __future__ import annotations

from hub.calendars.calendar_file import CalendarFileError, CalendarProblem, Closure
from hub.calendars.days import DayPlan
from hub.calendars.loader import BUILT_IN, CalendarCache, load_calendar
from hub.calendars.official_holidays import Holiday
from hub.calendars.working_time import BusinessCalendar

__all__ = [
    "BUILT_IN",
    "BusinessCalendar",
    "CalendarCache",
    "CalendarFileError",
    "CalendarProblem",
    "Closure",
    "DayPlan",
    "Holiday",
    "load_calendar",
]
