"""Prometheus metrics: counted where things happen, exposed at ``/metrics``.

What is counted, and where:

- ``samad_requests_received_total{channel}`` — intake (:mod:`hub.intake.submit`);
- ``samad_referral_transitions_total{agency,state}`` — every applied move
(:mod:`hub.referrals.lifecycle`):
  ``state="delivered"`` is a delivery, ``state="delivery_failed"`` a failed one;
- ``samad_delivery_seconds{agency}`` and ``samad_poll_seconds{agency}`` — how long the agency's
  system took to take a push / answer a poll (:mod:`hub.delivery.batch`, :mod:`hub.polling.poll`);
- ``samad_connector_errors_total{agency,operation,kind,error}`` — push and poll errors by kind
  (transient/permanent) and exception type;
- ``samad_task_seconds{task}`` — every Celery task, the beat sweeps included (Celery signals);
- ``samad_overdue_referrals{agency}`` — open referrals past a deadline, read from the database
  at scrape time by the API process (one grouped query), so it is right whatever process moved them;
- ``samad_breaker_state{agency,state}`` — each agency's circuit breaker
(:mod:`hub.delivery.breaker`), 1 for
  its current state (closed, open, half_open) and 0 for the others, read from Redis at scrape time;
  ``samad_breaker_failures{agency}`` the transient failures in a row it has counted;
- ``samad_sweep_seconds_since_last_run{sweep}`` — seconds since each periodic sweep (a task beat
  sends, by its task's name) last finished, and ``samad_sweep_overdue{sweep}`` 1 while it is
  overdue (:mod:`hub.supervision.sweeps`), read from the database at scrape time: alert on it to
  learn that beat died.

Processes: the API answers ``/metrics``. Workers are other processes, so their counters live
elsewhere. With ``PROMETHEUS_MULTIPROC_DIR`` set (one directory shared by the API and workers on
one machine, emptied before they start) prometheus-client writes every process's values to files
and ``/metrics`` sums them. Workers on other machines instead serve their own metrics on
``SAMAD_WORKER_METRICS_PORT`` (``prometheus_client.start_http_server``) — scrape each of them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from prometheus_client import (
    Counter,
    Histogram,
)

log = logging.getLogger(__name__)
T = TypeVar("T")
_LATENCY = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

REQUESTS_RECEIVED = Counter("samad_requests_received", "Citizen requests registered", ["channel"])
TRANSITIONS = Counter(
    "samad_referral_transitions", "Referral state changes applied", ["agency", "state"]
)
DELIVERY_SECONDS = Histogram(
    "samad_delivery_seconds", "Time to push a referral to the agency", ["agency"], buckets=_LATENCY
)
POLL_SECONDS = Histogram(
    "samad_poll_seconds", "Time for the agency to answer a poll", ["agency"], buckets=_LATENCY
)
CONNECTOR_ERRORS = Counter(
    "samad_connector_errors",
    "Errors of connectors by operation, kind and type",
    ["agency", "operation", "kind", "error"],
)
TASK_SECONDS = Histogram(
    "samad_task_seconds", "Celery task durations (sweeps included)", ["task"], buckets=_LATENCY
)


def request_received(channel: str) -> None:
    REQUESTS_RECEIVED.labels(channel=channel).inc()


def referral_moved(agency: str, state: str) -> None:
    TRANSITIONS.labels(agency=agency, state=str(state)).inc()


def connector_error(agency: str, operation: str, error: BaseException) -> None:
    kind = "permanent" if getattr(error, "permanent", False) else "transient"
    CONNECTOR_ERRORS.labels(
        agency=agency, operation=operation, kind=kind, error=type(error).__name__
    ).inc()


def delivery_finished(agency: str, seconds: float, error: BaseException | None) -> None:
    DELIVERY_SECONDS.labels(agency=agency).observe(seconds)
    if error is not None:
        connector_error(agency, "push", error)


def observed_poll(agency: str, poll: Callable[..., T], *args: Any) -> T:
    """``poll(*args)``, timed; an error is counted and raised again."""
    started = time.monotonic()
    try:
        return poll(*args)
    except Exception as exc:
        connector_error(agency, "poll", exc)
        raise
    finally:
        POLL_SECONDS.labels(agency=agency).observe(time.monotonic() - started)
