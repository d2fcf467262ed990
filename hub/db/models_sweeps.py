"""The periodic sweeps' record: when each last ran, so that a dead beat is seen."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base


class SweepRun(Base):
    """One periodic sweep (a task beat sends), by its task's name: its last run and how it went.

    ``expected_since`` is when a worker first expected it (its first start with this sweep
    scheduled): a sweep that never ran is late only counted from then, not from the epoch.
    """

    __tablename__ = "sweep_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. hub.dispatch_due
    interval_seconds: Mapped[float]
    expected_since: Mapped[datetime]
    last_started: Mapped[datetime | None]
    last_finished: Mapped[datetime | None]
    last_ok: Mapped[bool | None]
    last_error: Mapped[str | None] = mapped_column(Text)
