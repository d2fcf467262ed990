"""Business calendars: working time on the Iranian calendar, and Jalali dates for people.

The rooms, each small: :mod:`.hours` (working hours and the weekly pattern),
:mod:`.calendar_file` (reading ``config/calendars/<name>.yaml``), :mod:`.official_holidays`
(the ``holidays`` package, corrected), :mod:`.days` (what one day looks like),
:mod:`.working_time` (the arithmetic), :mod:`.loader` (finding a calendar by name),
:mod:`.jalali` (formatting and parsing Jalali dates). Code elsewhere in the hub imports from
:mod:`hub.calendars.business_calendar`.
May import: hub.agreements and below.
"""
