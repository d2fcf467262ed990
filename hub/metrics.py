"""Prometheus metrics: counted where things happen, exposed at ``/metrics``.

What is counted, and where:

- ``samad_requests_received_total{channel}`` — intake (:mod:`hub.intake`);
- ``samad_referral_transitions_total{agency,state}`` — every applied move (:mod:`hub.lifecycle`):
  ``state="delivered"`` is a delivery, ``state="delivery_failed"`` a failed one;
- ``samad_delivery_seconds{agency}`` and ``samad_poll_seconds{agency}`` — how long the agency's
  system took to take a push / answer a poll (:mod:`hub.delivery`, :mod:`hub.polling`);
- ``samad_connector_errors_total{agency,operation,kind,error}`` — push and poll errors by kind
  (transient/permanent) and exception type;
- ``samad_task_seconds{task}`` — every Celery task, the beat sweeps included (Celery signals);
- ``samad_overdue_referrals{agency}`` — open referrals past a deadline, read from the database
  at scrape time by the API process (one grouped query), so it is right whatever process moved them;
- ``samad_breaker_state{agency,state}`` — each agency's circuit breaker (:mod:`hub.breaker`), 1 for
  its current state (closed, open, half_open) and 0 for the others, read from Redis at scrape time;
  ``samad_breaker_failures{agency}`` the transient failures in a row it has counted.

Processes: the API answers ``/metrics``. Workers are other processes, so their counters live
elsewhere. With ``PROMETHEUS_MULTIPROC_DIR`` set (one directory shared by the API and workers on
one machine, emptied before they start) prometheus-client writes every process's values to files
and ``/metrics`` sums them. Workers on other machines instead serve their own metrics on
``SAMAD_WORKER_METRICS_PORT`` (``prometheus_client.start_http_server``) — scrape each of them.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

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


class OverdueCollector(Collector):
    """``samad_overdue_referrals{agency}``, counted by the database when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from hub.db.session import session_scope
        from hub.figures.aggregate import overdue_now

        family = GaugeMetricFamily(
            "samad_overdue_referrals",
            "Open referrals past a deadline they have not met",
            labels=["agency"],
        )
        try:
            from hub.db.types import utcnow

            with session_scope() as session:
                for (agency,), count in sorted(overdue_now(session, utcnow(), True).items()):
                    family.add_metric([agency], count)
        except Exception as exc:  # a scrape must answer even with the database away
            log.warning("overdue gauge unavailable: %s", exc)
        yield family


class BreakerCollector(Collector):
    """``samad_breaker_state{agency,state}``, read from the shared breakers when scraped."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from hub.breaker import BreakerState, breaker_states

        state = GaugeMetricFamily(
            "samad_breaker_state",
            "Circuit breaker of each agency: 1 for its current state",
            labels=["agency", "state"],
        )
        failures = GaugeMetricFamily(
            "samad_breaker_failures",
            "Transient delivery failures in a row counted by the breaker",
            labels=["agency"],
        )
        try:
            views = breaker_states()
        except Exception as exc:  # no agreements loaded, no Redis: the scrape still answers
            log.warning("breaker gauge unavailable: %s", exc)
            views = {}
        for agency, view in sorted(views.items()):
            for candidate in BreakerState:
                state.add_metric([agency, str(candidate)], 1 if view.state is candidate else 0)
            failures.add_metric([agency], view.failures)
        yield state
        yield failures


def exposition() -> tuple[bytes, str]:
    """The text Prometheus scrapes, and its content type."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        MultiProcessCollector(registry)
    else:
        registry = REGISTRY  # type: ignore[assignment]
    body = generate_latest(registry) + generate_latest(_OVERDUE_REGISTRY)
    return body, CONTENT_TYPE_LATEST


_OVERDUE_REGISTRY = CollectorRegistry()
_OVERDUE_REGISTRY.register(OverdueCollector())
_OVERDUE_REGISTRY.register(BreakerCollector())
