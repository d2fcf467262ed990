"""Fixtures of the calendar tests: the built-in calendar with no override file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.calendars.business_calendar import BusinessCalendar, load_calendar


@pytest.fixture(scope="session")
def iran(tmp_path_factory: pytest.TempPathFactory) -> BusinessCalendar:
    """The built-in 'iran' calendar exactly as the holidays package gives it (no iran.yaml)."""
    empty: Path = tmp_path_factory.mktemp("no-overrides")
    return load_calendar("iran", empty)
