"""A clock a test moves by hand, for referrals' deadlines and anything else that reads "now"."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FrozenClock:
    """Stands still at ``start`` (a Tehran working morning by default) until :meth:`advance`."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 28, 5, 30, tzinfo=UTC)  # 1405-09-07 09:00 Tehran
        if self._now.tzinfo is None:
            raise ValueError("a FrozenClock needs an aware datetime (UTC)")

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move on by ``seconds`` (and/or ``hours=``, ``days=`` …); returns the new now."""
        self._now += timedelta(seconds=seconds, **delta)
        return self._now
