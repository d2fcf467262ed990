"""Finding a business calendar by name and building it from its layers.

Every calendar is the built-in ``iran`` calendar (Asia/Tehran, Saturday–Wednesday 07:30–14:30,
the official holidays of the ``holidays`` package) changed by, in order:

1. ``<config>/calendars/iran.yaml`` when it exists — national decisions: a decree on Thursdays,
   heat or mourning closures, lunar holidays corrected after moon sighting;
2. ``<config>/calendars/<name>.yaml`` for any other name — one agency's own hours or closures.

Weekdays named in a later layer replace earlier ones; closures and holiday corrections add up.
A name other than ``iran`` without a file is an error, never silently the default.
"""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo

from hub.calendars.calendar_file import (
    CalendarFile,
    CalendarFileError,
    CalendarProblem,
    read_calendar_file,
)
from hub.calendars.days import CalendarRules
from hub.calendars.hours import DEFAULT_WEEK
from hub.calendars.jalali import to_jalali
from hub.calendars.official_holidays import OfficialHolidays
from hub.calendars.working_time import BusinessCalendar
from hub.core.errors import NotFound

BUILT_IN = "iran"
DEFAULT_TIMEZONE = "Asia/Tehran"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def calendars_dir(config_dir: Path | str) -> Path:
    """The folder of calendar files: ``config_dir/calendars`` if it exists, else ``config_dir``.

    So both the project's config folder and the calendars folder itself may be passed.
    """
    directory = Path(config_dir)
    nested = directory / "calendars"
    return nested if nested.is_dir() else directory


def load_calendar(name: str = BUILT_IN, config_dir: Path | str = "config") -> BusinessCalendar:
    """The calendar called ``name``; raises NotFound or CalendarFileError with the reason."""
    if not _NAME.match(name):
        raise NotFound(f"{name!r} is not a calendar name (lower-case letters, digits, '-', '_')")
    directory = calendars_dir(config_dir)
    layers = [_read_if_present(directory / f"{BUILT_IN}.yaml")]
    if name != BUILT_IN:
        path = directory / f"{name}.yaml"
        if not path.is_file():
            raise NotFound(f"no calendar named {name!r}: {path} does not exist")
        layers.append(read_calendar_file(path))
    return BusinessCalendar(_build_rules(name, layers))


def _read_if_present(path: Path) -> CalendarFile:
    return read_calendar_file(path) if path.is_file() else CalendarFile()


def _build_rules(name: str, layers: list[CalendarFile]) -> CalendarRules:
    timezone, week = DEFAULT_TIMEZONE, DEFAULT_WEEK
    for layer in layers:
        timezone = layer.timezone or timezone
        week = week.with_changes(layer.week)
    moves = [move for layer in layers for move in layer.moves]
    removals = [removal for layer in layers for removal in layer.removals]
    _check_corrections(layers)
    if not week.has_working_time():
        where = next((str(layer.path) for layer in reversed(layers) if layer.week), name)
        raise CalendarFileError([CalendarProblem(where, "week", "no weekday has working hours")])
    return CalendarRules(
        name=name,
        timezone=ZoneInfo(timezone),
        week=week,
        holidays=OfficialHolidays(moves, removals),
        closures=tuple(closure for layer in layers for closure in layer.closures),
    )


def _check_corrections(layers: list[CalendarFile]) -> None:
    """A move or removal must name a day that really is an official holiday in the package."""
    package = OfficialHolidays()
    problems = []
    for layer in layers:
        checks = [(move.source, f"{move.key_path}.from") for move in layer.moves]
        checks += [(removal.day, f"{removal.key_path}.date") for removal in layer.removals]
        for day, key_path in checks:
            if not package.on(day):
                jalali = to_jalali(day).isoformat()
                message = f"{jalali} is not an official holiday, so it cannot be moved or removed"
                problems.append(CalendarProblem(str(layer.path), key_path, message))
    if problems:
        raise CalendarFileError(problems)


class CalendarCache:
    """Calendars by name for long-running processes, reloaded when their files change.

    Working-time arithmetic is fast only on a calendar whose day tables are already built, so
    the deadline sweep keeps one calendar per name; an admin's correction (a moon sighting, a
    heat closure) takes effect at the next lookup after the file's modification time changes.
    """

    def __init__(self, config_dir: Path | str) -> None:
        self.config_dir = Path(config_dir)
        self._loaded: dict[str, tuple[tuple[int | None, ...], BusinessCalendar]] = {}

    def get(self, name: str = BUILT_IN) -> BusinessCalendar:
        stamp = self._stamp(name)
        cached = self._loaded.get(name)
        if cached is None or cached[0] != stamp:
            cached = self._loaded[name] = (stamp, load_calendar(name, self.config_dir))
        return cached[1]

    def _stamp(self, name: str) -> tuple[int | None, ...]:
        directory = calendars_dir(self.config_dir)
        return tuple(_modified(directory / f"{layer}.yaml") for layer in sorted({BUILT_IN, name}))


def _modified(path: Path) -> int | None:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return None
