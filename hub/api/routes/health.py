"""Liveness and readiness: is the process up, are the database and the broker reachable, and
do the periodic sweeps still run?

``/readyz`` answers 503 when this process cannot serve (no database, no broker). The sweeps are
reported beside, with the overdue ones named (:mod:`hub.supervision.sweeps`), but they do not make
the API unready: a dead beat is no reason to take every API process out of the load balancer.
The alert for an overdue sweep is raised by the workers' watchdog, not here.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from hub.core.celery_app import app as celery_app
from hub.db.session import get_engine, session_scope
from hub.db.types import utcnow
from hub.supervision.sweeps import pulses, scheduled_sweeps

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
def readyz() -> JSONResponse:
    checks: dict[str, Any] = {"database": _database(), "broker": _broker()}
    ready = all(c == "ok" for c in checks.values())
    body = {"ready": ready, "checks": checks, **_sweeps()}
    return JSONResponse(body, status_code=200 if ready else 503)


def _database() -> str:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # reported, not raised: this is the readiness answer
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def _broker() -> str:
    try:
        with celery_app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # reported, not raised: this is the readiness answer
        return f"unreachable: {type(exc).__name__}"
    return "ok"


def _sweeps() -> dict[str, Any]:
    """Each scheduled sweep's last run, and the names of those overdue."""
    try:
        with session_scope() as session:
            found = pulses(session, scheduled_sweeps(celery_app.conf.beat_schedule), utcnow())
    except Exception as exc:  # reported, not raised: the database check says why
        return {"sweeps": f"unreadable: {type(exc).__name__}", "overdue_sweeps": []}
    return {
        "sweeps": {pulse.name: pulse.as_json() for pulse in found},
        "overdue_sweeps": [pulse.name for pulse in found if pulse.overdue],
    }
