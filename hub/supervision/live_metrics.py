"""What Prometheus scrapes: the processes' counters, and the gauges read live at scrape time.

The counters are defined in :mod:`hub.core.metrics` and counted where things happen; what depends
on the moment (overdue referrals, each agency's breaker, how long ago each periodic sweep ran) is
read here from the database and Redis when ``/metrics`` is asked.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

from hub.core.celery_app import app as celery_app
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery.breaker import BreakerState, breaker_states
from hub.supervision.figures.aggregate import overdue_now
from hub.supervision.sweeps import SweepCollector, scheduled_sweeps

log = logging.getLogger(__name__)


class OverdueCollector(Collector):
    """``samad_overdue_referrals{agency}``, counted by the database when Prometheus scrapes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "samad_overdue_referrals",
            "Open referrals past a deadline they have not met",
            labels=["agency"],
        )
        try:
            with session_scope() as session:
                for (agency,), count in sorted(overdue_now(session, utcnow(), True).items()):
                    family.add_metric([agency], count)
        except Exception as exc:  # a scrape must answer even with the database away
            log.warning("overdue gauge unavailable: %s", exc)
        yield family


class BreakerCollector(Collector):
    """``samad_breaker_state{agency,state}``, read from the shared breakers when scraped."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
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
        registry = REGISTRY
    body = generate_latest(registry) + generate_latest(_OVERDUE_REGISTRY)
    return body, CONTENT_TYPE_LATEST


_OVERDUE_REGISTRY = CollectorRegistry()
_OVERDUE_REGISTRY.register(OverdueCollector())
_OVERDUE_REGISTRY.register(BreakerCollector())
_OVERDUE_REGISTRY.register(SweepCollector(scheduled_sweeps(celery_app.conf.beat_schedule)))
