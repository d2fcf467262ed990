"""Reading a calendar file (``config/calendars/<name>.yaml``) into checked, typed changes.

An admin writes dates the way everyone in the office does, in Jalali::

    week:
      thursday: "07:30-12:30"          # a half day, by decree
    closures:
      - {date: 1404-05-14, reason: heat}                        # a whole day
      - {date: 1404-05-20, until: 1404-05-21, reason: mourning}  # several days
      - {date: 1404-06-01, hours: "10:00-14:30", reason: heat}   # some hours only
    holidays:
      move:   [{from: 1405-03-26, to: 1405-03-27, reason: moon sighting}]
      remove: [{date: 1405-04-03, reason: no longer a holiday}]

The shape is checked by ``calendar_file.schema.json`` (next to this module), then each date and
time range is read; every problem found is reported at once, naming file, key and problem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
import yaml

from hub.calendars.hours import TimeRange, parse_day_hours, parse_time_range
from hub.calendars.jalali import parse_jalali_date
from hub.core.errors import HubError

SCHEMA: dict[str, Any] = json.loads(
    (Path(__file__).with_name("calendar_file.schema.json")).read_text(encoding="utf-8")
)


class _JalaliSafeLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: ``1405-01-13`` must stay text, not Gregorian 1405 AD."""


_JalaliSafeLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@dataclass(frozen=True)
class CalendarProblem:
    """One problem in one calendar file, at one key path."""

    file: str
    key_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key_path}: {self.message}"


class CalendarFileError(HubError):
    """A calendar file is invalid; ``problems`` lists every problem found."""

    def __init__(self, problems: list[CalendarProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))


@dataclass(frozen=True)
class Closure:
    """An ad-hoc closure: whole days, or only ``hours`` of them."""

    first_day: date
    last_day: date
    reason: str
    hours: TimeRange | None = None  # None: closed all day

    def covers(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


@dataclass(frozen=True)
class HolidayMove:
    """The official holiday on ``source`` is really on ``target`` (e.g. after moon sighting)."""

    source: date
    target: date
    reason: str = ""
    key_path: str = ""


@dataclass(frozen=True)
class HolidayRemoval:
    """The official holiday on ``day`` is not a holiday after all."""

    day: date
    reason: str = ""
    key_path: str = ""


@dataclass(frozen=True)
class CalendarFile:
    """What one calendar file changes; an absent file changes nothing."""

    path: Path | None = None
    description: str = ""
    timezone: str | None = None
    week: dict[str, str | list[str]] = field(default_factory=dict)
    closures: tuple[Closure, ...] = ()
    moves: tuple[HolidayMove, ...] = ()
    removals: tuple[HolidayRemoval, ...] = ()


def read_calendar_file(path: Path) -> CalendarFile:
    """Parse and check ``path``; raise :class:`CalendarFileError` listing every problem."""
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_JalaliSafeLoader)
    except yaml.YAMLError as exc:
        raise CalendarFileError(
            [CalendarProblem(str(path), "$", f"not valid YAML: {exc}")]
        ) from exc
    document = {} if document is None else document
    schema_problems = [
        CalendarProblem(str(path), _key_path(error.absolute_path), error.message)
        for error in jsonschema.Draft202012Validator(SCHEMA).iter_errors(document)
    ]
    if schema_problems:
        raise CalendarFileError(sorted(schema_problems, key=lambda p: p.key_path))
    return _Reader(path).read(document)


def _key_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text.lstrip(".") or "$"


class _Reader:
    """Turns a schema-valid document into typed values, collecting every problem on the way."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[CalendarProblem] = []

    def problem(self, key_path: str, message: str) -> None:
        self.problems.append(CalendarProblem(str(self.path), key_path, message))

    def read(self, document: dict[str, Any]) -> CalendarFile:
        timezone = document.get("timezone")
        if timezone is not None:
            self.check_timezone(timezone)
        for weekday, value in document.get("week", {}).items():
            self.attempt(f"week.{weekday}", parse_day_hours, value)
        holidays = document.get("holidays", {})
        result = CalendarFile(
            path=self.path,
            description=document.get("description", ""),
            timezone=timezone,
            week=document.get("week", {}),
            closures=tuple(self.closures(document.get("closures", []))),
            moves=tuple(self.moves(holidays.get("move", []))),
            removals=tuple(self.removals(holidays.get("remove", []))),
        )
        if self.problems:
            raise CalendarFileError(self.problems)
        return result

    def attempt(self, key_path: str, parse: Any, value: Any) -> Any:
        try:
            return parse(value)
        except ValueError as exc:  # JalaliDateError is one too
            self.problem(key_path, str(exc))
            return None

    def check_timezone(self, name: str) -> None:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            self.problem("timezone", f"{name!r} is not a known IANA time zone (e.g. Asia/Tehran)")

    def closures(self, entries: list[dict[str, Any]]) -> list[Closure]:
        found = []
        for index, entry in enumerate(entries):
            key = f"closures[{index}]"
            first = self.attempt(f"{key}.date", parse_jalali_date, entry["date"])
            last = first
            if "until" in entry:
                last = self.attempt(f"{key}.until", parse_jalali_date, entry["until"])
            hours = None
            if "hours" in entry:
                hours = self.attempt(f"{key}.hours", parse_time_range, entry["hours"])
            if first is None or last is None or ("hours" in entry and hours is None):
                continue
            if last < first:
                self.problem(f"{key}.until", f"{entry['until']} is before {entry['date']}")
            elif last - first > timedelta(days=366):
                self.problem(f"{key}.until", "a closure longer than a year is surely a typo")
            else:
                found.append(Closure(first, last, entry["reason"], hours))
        return found

    def moves(self, entries: list[dict[str, Any]]) -> list[HolidayMove]:
        found = []
        for index, entry in enumerate(entries):
            key = f"holidays.move[{index}]"
            source = self.attempt(f"{key}.from", parse_jalali_date, entry["from"])
            target = self.attempt(f"{key}.to", parse_jalali_date, entry["to"])
            if source is not None and target is not None:
                found.append(HolidayMove(source, target, entry.get("reason", ""), key))
        return found

    def removals(self, entries: list[dict[str, Any]]) -> list[HolidayRemoval]:
        found = []
        for index, entry in enumerate(entries):
            key = f"holidays.remove[{index}]"
            day = self.attempt(f"{key}.date", parse_jalali_date, entry["date"])
            if day is not None:
                found.append(HolidayRemoval(day, entry.get("reason", ""), key))
        return found
