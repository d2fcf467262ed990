"""The periodic sweeps' pulse: when each last ran, which one is overdue, and the alert that says so.

Beat sends the sweeps (``beat_schedule`` in :mod:`hub.core.celery_app`); the workers run them and
record every run in ``sweep_runs`` (:mod:`hub.worker.sweep_watch`). A sweep is *overdue* when its
last run finished longer ago than ``SAMAD_SWEEP_OVERDUE_FACTOR`` (3) times its interval, and at
least ``SAMAD_SWEEP_OVERDUE_MIN_SECONDS`` — a broker restart of a few seconds is not a dead beat.
One that never ran is counted from ``expected_since``, when a worker first expected it, so a fresh
install is not overdue before it had the time to run.

Read by ``/readyz`` and ``/metrics`` (the API), and by the watchdog every worker runs: the beat is
what may be dead, so the beat cannot be the one to tell, and a check made only when ``/readyz``
is asked would tell nobody. Each overdue spell raises one ``sweep_overdue`` alert, whichever
worker sees it first (the row is locked while it is raised).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from celery.schedules import crontab
from celery.schedules import schedule as every
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.core.settings import Settings, get_settings
from hub.db.models_sweeps import SweepRun
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.referrals.events import AlertKind, alert_once

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SweepPulse:
    """One sweep as the record shows it at ``now``."""

    name: str
    interval_seconds: float
    expected_since: datetime
    last_started: datetime | None
    last_finished: datetime | None
    last_ok: bool | None
    last_error: str | None
    seconds_since: float  # since its last run finished (never ran: since it was expected)
    overdue: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "interval_seconds": self.interval_seconds,
            "last_started": _iso(self.last_started),
            "last_finished": _iso(self.last_finished),
            "last_ok": self.last_ok,
            "last_error": self.last_error,
            "seconds_since_last_run": round(self.seconds_since, 1),
            "overdue": self.overdue,
        }


def scheduled_sweeps(beat_schedule: Mapping[str, Mapping[str, Any]]) -> dict[str, float]:
    """Task name → seconds between two runs, for every entry of a beat schedule."""
    return {entry["task"]: _interval(entry["schedule"]) for entry in beat_schedule.values()}


def _interval(schedule: Any) -> float:
    if isinstance(schedule, int | float):
        return float(schedule)
    if isinstance(schedule, every):
        return float(schedule.seconds)
    if isinstance(schedule, crontab):  # the gap between its next two firings
        now = datetime.now(UTC)
        first = now + schedule.remaining_estimate(now)
        second = now + schedule.remaining_estimate(first + timedelta(seconds=1))
        return round((second - first).total_seconds())
    raise TypeError(f"a beat schedule of unknown kind: {schedule!r}")


def expect(session: Session, sweeps: Mapping[str, float], now: datetime) -> None:
    """Record that these sweeps are scheduled (at these intervals): a sweep new to the record is
    expected from ``now`` on; the others keep their history, with the interval brought up to date.
    """
    known = {row.name: row for row in session.scalars(select(SweepRun))}
    for name, interval in sweeps.items():
        row = known.get(name)
        if row is None:
            session.add(SweepRun(name=name, interval_seconds=interval, expected_since=now))
        elif row.interval_seconds != interval:
            row.interval_seconds = interval


def record_run(
    session: Session,
    name: str,
    started: datetime,
    finished: datetime,
    error: BaseException | None,
    interval_seconds: float,
) -> None:
    """One run of a sweep, as it ended (``error`` None: it went well)."""
    row = session.get(SweepRun, name)
    if row is None:
        row = SweepRun(name=name, interval_seconds=interval_seconds, expected_since=started)
        session.add(row)
    row.last_started, row.last_finished, row.last_ok = started, finished, error is None
    row.last_error = None if error is None else f"{type(error).__name__}: {error}"[:2000]


def pulses(
    session: Session, sweeps: Mapping[str, float], now: datetime, settings: Settings | None = None
) -> list[SweepPulse]:
    """The scheduled sweeps as recorded, by name; one no worker has recorded yet is left out."""
    settings = settings or get_settings()
    rows = session.scalars(select(SweepRun).where(SweepRun.name.in_(list(sweeps))))
    return sorted((_pulse(row, now, settings) for row in rows), key=lambda p: p.name)


def _pulse(row: SweepRun, now: datetime, settings: Settings) -> SweepPulse:
    since = (now - (row.last_finished or row.expected_since)).total_seconds()
    allowed = max(
        settings.sweep_overdue_factor * row.interval_seconds, settings.sweep_overdue_min_seconds
    )
    return SweepPulse(
        row.name,
        row.interval_seconds,
        row.expected_since,
        row.last_started,
        row.last_finished,
        row.last_ok,
        row.last_error,
        since,
        since > allowed,
    )


def alert_overdue(
    session: Session,
    sweeps: Mapping[str, float],
    now: datetime,
    settings: Settings | None = None,
    actor: str = "watchdog",
) -> list[str]:
    """Raise a ``sweep_overdue`` alert for each overdue sweep not yet alerted for this spell
    (the spell is named by the last run it follows); the names of those overdue."""
    overdue = [p for p in pulses(session, sweeps, now, settings) if p.overdue]
    for pulse in overdue:
        # Two workers' watchdogs may look at once: the lock lets one of them raise it.
        session.execute(select(SweepRun).where(SweepRun.name == pulse.name).with_for_update())
        last = _iso(pulse.last_finished) or f"never (expected since {_iso(pulse.expected_since)})"
        raised = alert_once(
            session,
            AlertKind.SWEEP_OVERDUE,
            once_per={"sweep": pulse.name, "last_run": last},
            actor=actor,
            interval_seconds=pulse.interval_seconds,
            seconds_since_last_run=round(pulse.seconds_since),
            reason=f"{pulse.name} has not run for {pulse.seconds_since:.0f} s (every "
            f"{pulse.interval_seconds:g} s): is beat running?",
        )
        if raised:
            log.error("sweep %s is overdue: last run %s", pulse.name, last)
    return [p.name for p in overdue]


class SweepCollector(Collector):
    """``samad_sweep_seconds_since_last_run{sweep}`` and ``samad_sweep_overdue{sweep}``, read
    from the database when Prometheus scrapes."""

    def __init__(self, sweeps: Mapping[str, float]) -> None:
        self.sweeps = sweeps

    def collect(self) -> Iterator[GaugeMetricFamily]:
        since = GaugeMetricFamily(
            "samad_sweep_seconds_since_last_run",
            "Seconds since each periodic sweep last finished (never ran: since it was expected)",
            labels=["sweep"],
        )
        overdue = GaugeMetricFamily(
            "samad_sweep_overdue",
            "1 while a periodic sweep has not run for longer than it may (a dead beat)",
            labels=["sweep"],
        )
        try:
            with session_scope() as session:
                found = pulses(session, self.sweeps, utcnow())
        except Exception as exc:  # a scrape must answer even with the database away
            log.warning("sweep gauges unavailable: %s", exc)
            found = []
        for pulse in found:
            since.add_metric([pulse.name], pulse.seconds_since)
            overdue.add_metric([pulse.name], 1 if pulse.overdue else 0)
        yield since
        yield overdue


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()
