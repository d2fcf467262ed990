"""Helpers for the calendar tests: instants written the way a person in Tehran reads them."""

from __future__ import annotations

from datetime import UTC, datetime, time
from pathlib import Path

from hub.calendars.jalali import TEHRAN, parse_jalali_date


def at(jalali_day: str, clock: str = "00:00") -> datetime:
    """``at("1405-01-05", "10:00")``: that Tehran wall-clock time, as a UTC instant."""
    local = datetime.combine(parse_jalali_date(jalali_day), time.fromisoformat(clock), TEHRAN)
    return local.astimezone(UTC)


def write_calendar(folder: Path, name: str, text: str) -> Path:
    """Write ``folder/calendars/<name>.yaml`` and return the config folder."""
    calendars = folder / "calendars"
    calendars.mkdir(parents=True, exist_ok=True)
    (calendars / f"{name}.yaml").write_text(text, encoding="utf-8")
    return folder
