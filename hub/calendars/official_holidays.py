"""Iran's official holidays, from the ``holidays`` package, corrected by the calendar file.

The package knows the solar holidays (Nowruz, 12 and 13 Farvardin, 22 Bahman, …) and the lunar
ones (Tasua, Ashura, the two Eids, …). Lunar dates depend on the sighting of the moon, so for
years the package has not confirmed they are estimates, labelled "(estimated)"; an admin corrects
them in the calendar file by moving or removing a holiday (see :mod:`hub.calendars.calendar_file`).
Names are kept in Persian and English.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

import holidays

from hub.calendars.calendar_file import HolidayMove, HolidayRemoval


@dataclass(frozen=True)
class Holiday:
    """One official holiday on one day."""

    day: date
    name_fa: str
    name_en: str
    moved_from: date | None = None  # set when the calendar file moved it here

    def name(self, language: str = "fa") -> str:
        return self.name_fa if language == "fa" else self.name_en


class OfficialHolidays:
    """The package's holidays for any year, with the file's moves and removals applied."""

    def __init__(
        self, moves: Iterable[HolidayMove] = (), removals: Iterable[HolidayRemoval] = ()
    ) -> None:
        self._names: dict[int, dict[date, tuple[tuple[str, str], ...]]] = {}
        self._moves = list(moves)
        self._gone = {move.source for move in self._moves} | {r.day for r in removals}

    def on(self, day: date) -> tuple[Holiday, ...]:
        """The holidays that fall on ``day`` after the corrections."""
        found = [] if day in self._gone else [Holiday(day, fa, en) for fa, en in self.package(day)]
        for move in self._moves:
            if move.target == day:
                found += [Holiday(day, fa, en, move.source) for fa, en in self.package(move.source)]
        return tuple(found)

    def package(self, day: date) -> tuple[tuple[str, str], ...]:
        """The (Persian, English) names the package gives ``day``, before any correction."""
        if day.year not in self._names:
            self._names[day.year] = _load_year(day.year)
        return self._names[day.year].get(day, ())


def _load_year(year: int) -> dict[date, tuple[tuple[str, str], ...]]:
    persian = holidays.country_holidays("IR", years=year, language="fa_IR")
    # The package joins two holidays on one day with "; ", each language in its own alphabetical
    # order, so English names are found by translating each Persian one, not by position.
    return {
        day: tuple((name, _english(name)) for name in persian[day].split("; ")) for day in persian
    }


@functools.cache
def _english_translator() -> tuple[Callable[[str], str], str, str]:
    english = holidays.country_holidays("IR", years=(), language="en_US")
    label = holidays.IR.estimated_label  # the Persian msgid, "%s (تخمینی)"
    return english.tr, label % "", english.tr(label)


def _english(persian_name: str) -> str:
    translate, estimated_suffix, estimated_label = _english_translator()
    if persian_name.endswith(estimated_suffix):
        return estimated_label % translate(persian_name.removesuffix(estimated_suffix))
    return translate(persian_name)
