"""``/metrics``: Prometheus text that parses, counting what a real request and delivery did."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.core.waiting import wait_for_states
from tests.supervision.conftest import WORKER_METRICS_PORT
from tests.supervision.known_data import EAST
from tests.support.fixtures import Sandboxes
from tests.support.requests import citizen_request

pytestmark = pytest.mark.usefixtures("worker", "known_data")


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _scrape(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = httpx.get(url, timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    return _samples(answer.text)


def _value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_a_request_and_its_delivery_are_counted(
    api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    worker_url = f"http://127.0.0.1:{WORKER_METRICS_PORT}/metrics"
    api_before, worker_before = _scrape(f"{api.base_url}/metrics"), _scrape(worker_url)
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    wait_for_states(api, code, ["resolved"])
    api_after, worker_after = _scrape(f"{api.base_url}/metrics"), _scrape(worker_url)
    received = "samad_requests_received_total"
    channel = citizen_request()["channel"]
    assert (
        _value(api_after, received, channel=channel)
        == _value(api_before, received, channel=channel) + 1
    )
    delivered = {"agency": "golestan-water", "state": "delivered"}
    moved = "samad_referral_transitions_total"
    assert _value(worker_after, moved, **delivered) >= _value(worker_before, moved, **delivered) + 1
    latency = "samad_delivery_seconds_count"
    assert _value(worker_after, latency, agency="golestan-water") > _value(
        worker_before, latency, agency="golestan-water"
    )


def test_the_overdue_gauge_counts_each_agencys_open_referrals_past_due(api: httpx.Client) -> None:
    samples = _scrape(f"{api.base_url}/metrics")
    assert _value(samples, "samad_overdue_referrals", agency=EAST) == 1  # e3 of known_data


def test_each_agencys_breaker_state_is_a_gauge(api: httpx.Client) -> None:
    samples = _scrape(f"{api.base_url}/metrics")
    states = {
        state: _value(samples, "samad_breaker_state", agency="golestan-water", state=state)
        for state in ("closed", "open", "half_open")
    }
    assert sorted(states.values()) == [0, 0, 1]
