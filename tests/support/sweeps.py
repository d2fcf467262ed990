"""Waiting for the run's beat to sweep, instead of sleeping and hoping it did.

A negative check ("nothing pushed it again", "no second alert") proves something only if the
sweep that would have done it really ran meanwhile. Every worker records each run of a
beat-sent sweep in ``sweep_runs`` (:mod:`hub.supervision.sweeps`); these helpers wait on it.
"""

from __future__ import annotations

from datetime import datetime

from hub.db.models_sweeps import SweepRun
from hub.db.session import session_scope
from hub.db.types import utcnow
from tests.core.waiting import wait_for


def _ran_since(name: str, since: datetime) -> bool:
    """A whole run of the sweep — started after ``since`` and finished — is recorded."""
    with session_scope() as session:
        run = session.get(SweepRun, name)
        if run is None or run.last_started is None or run.last_finished is None:
            return False
        return run.last_started > since and run.last_finished >= run.last_started


def wait_for_sweeps(name: str, count: int = 2, timeout: float = 60) -> None:
    """Until the sweep ``name`` (its task's name, e.g. ``hub.dispatch_due``) has run whole
    ``count`` times, one after the other, from now on."""
    for turn in range(count):
        since = utcnow()
        wait_for(
            lambda since=since: _ran_since(name, since),
            timeout=timeout,
            what=f"run {turn + 1} of {count} of the sweep {name}",
        )
