"""The sweeps' record, and the watchdog every worker runs over it (:mod:`hub.supervision.sweeps`).

Each run of a task beat sends is recorded in ``sweep_runs`` as it ends, through Celery's task
signals (the sweeps themselves are not touched). Every worker — not only the one with an embedded
beat, since a dead beat is what this is for — runs a watchdog thread that every
``SAMAD_SWEEP_WATCHDOG_EVERY_SECONDS`` records which sweeps are scheduled and alerts those
overdue. Neither ever fails a task or the worker: a database that is away is logged and asked
again at the next turn.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_process_init, worker_ready
from celery.signals import worker_shutdown as worker_shutting_down

from hub.core.celery_app import app
from hub.core.settings import get_settings
from hub.core.unreachable import first_line
from hub.db.session import get_engine, session_scope
from hub.db.types import utcnow
from hub.supervision.sweeps import alert_overdue, expect, record_run, scheduled_sweeps

log = logging.getLogger(__name__)
SWEEPS = scheduled_sweeps(app.conf.beat_schedule)
_started: dict[str, datetime] = {}


@task_prerun.connect
def _sweep_started(task_id: str, task: Any, **_: Any) -> None:
    if task.name in SWEEPS:
        _started[task_id] = utcnow()


@task_postrun.connect
def _sweep_finished(task_id: str, task: Any, retval: Any = None, **_: Any) -> None:
    started = _started.pop(task_id, None)
    if started is None:
        return
    error = retval if isinstance(retval, BaseException) else None  # what a failed run returns
    try:
        with session_scope() as session:
            record_run(session, task.name, started, utcnow(), error, SWEEPS[task.name])
    except Exception as exc:  # the sweep ran; only its record is missing: the next one writes it
        log.warning("run of sweep %s not recorded: %s", task.name, first_line(exc))


class Watchdog(threading.Thread):
    """Every ``every`` seconds: the scheduled sweeps recorded as expected, the overdue alerted."""

    def __init__(self, every: float) -> None:
        super().__init__(name="sweep-watchdog", daemon=True)
        self.every = every
        self.stopping = threading.Event()

    def run(self) -> None:
        while True:
            self.check()
            if self.stopping.wait(self.every):
                return

    def check(self) -> list[str]:
        """The overdue sweeps' names (an empty list too when the database cannot be read)."""
        try:
            with session_scope() as session:
                expect(session, SWEEPS, utcnow())
            with session_scope() as session:
                return alert_overdue(session, SWEEPS, utcnow())
        except Exception as exc:
            log.warning("sweep watchdog: the record is unreadable now (%s)", first_line(exc))
            return []


_watchdog: Watchdog | None = None


@worker_ready.connect
def _start_watchdog(**_: Any) -> None:
    global _watchdog
    every = get_settings().sweep_watchdog_every_seconds
    if every > 0 and _watchdog is None:
        _watchdog = Watchdog(every)
        _watchdog.start()


@worker_shutting_down.connect
def _stop_watchdog(**_: Any) -> None:
    if _watchdog is not None:
        _watchdog.stopping.set()


@worker_process_init.connect
def _forget_inherited_connections(**_: Any) -> None:
    """A prefork child started after the watchdog connected holds copies of the parent's pooled
    connections: drop them unclosed (closing would close the parent's), as SQLAlchemy advises."""
    get_engine().dispose(close=False)
