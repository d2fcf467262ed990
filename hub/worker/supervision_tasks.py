"""Celery side of supervision: the audit sealing sweep, and task timings for ``/metrics``.

``hub.seal_events`` runs from beat every ``SAMAD_AUDIT_SEAL_EVERY_SECONDS`` (see
:mod:`hub.supervision.audit` for why events are sealed by a sweep, and why it may refuse to).
Every task's duration is observed through Celery's signals, so the sweeps are timed without
touching them. ``SAMAD_WORKER_METRICS_PORT`` (non-zero) makes each worker serve its own metrics
on that port.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from typing import Any

from celery.signals import task_postrun, task_prerun, worker_ready
from prometheus_client import start_http_server

from hub.core.celery_app import app
from hub.core.errors import Refused
from hub.core.metrics import TASK_SECONDS
from hub.core.settings import get_settings
from hub.db.session import session_scope
from hub.supervision.audit import seal

log = logging.getLogger(__name__)
_started: dict[str, float] = {}


@app.task(name="hub.seal_events")
def seal_events() -> int:
    try:
        return seal()
    except Refused as refused:  # tampering: said at every beat until a person restores the log
        log.error("audit: %s", refused.message)
        return 0


@app.task(name="hub.refresh_figures")
def refresh_figures() -> int:
    """Keep this month's and last month's roll-up current, so a read finds little to redo."""
    from hub.db.types import utcnow
    from hub.supervision.figures import current_month
    from hub.supervision.figures.rollup import refresh

    this = current_month(utcnow())
    last = current_month(this.start - timedelta(days=1))
    with session_scope() as session:
        return refresh(session, last) + refresh(session, this)


@task_prerun.connect
def _task_started(task_id: str, **_: Any) -> None:
    _started[task_id] = time.monotonic()


@task_postrun.connect
def _task_finished(task_id: str, task: Any, **_: Any) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        TASK_SECONDS.labels(task=task.name).observe(time.monotonic() - started)


@worker_ready.connect
def _serve_worker_metrics(**_: Any) -> None:
    port = get_settings().worker_metrics_port
    if not port:
        return
    addr = "127.0.0.1" if get_settings().environment != "production" else "0.0.0.0"
    try:
        start_http_server(port, addr=addr)
    except OSError as exc:  # another worker on this machine serves that port: say so, go on
        log.warning("worker metrics not served on %s:%s: %s", addr, port, exc)
