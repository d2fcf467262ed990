"""The circuit breaker and the throttle per agency, on the run's real Redis and a real worker."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from limits.storage import storage_from_string
from sqlalchemy import func, select

from hub.db.models import DeliveryAttempt, Referral
from hub.db.session import session_scope
from hub.delivery.breaker import (
    Breaker,
    BreakerPolicy,
    BreakerState,
    BreakerStore,
    LocalBreakers,
    RedisBreakers,
)
from hub.delivery.throttle import Throttle, rate_limits
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, create_app
from hub.sandbox.server import BackgroundServer, free_port
from tests.core.waiting import wait_for
from tests.faults.support import write_roads_agreement
from tests.support.requests import citizen_request
from tests.support.tickets import assert_one_ticket_each

POLICY = BreakerPolicy(failure_threshold=3, open_seconds=30, probe_wait_seconds=5)
REDIS = os.environ["SAMAD_REDIS_URL"]


@pytest.fixture(params=["redis", "local"])
def store(request: pytest.FixtureRequest, broker: str) -> BreakerStore:
    return RedisBreakers(REDIS) if request.param == "redis" else LocalBreakers()


def _agency() -> str:
    return f"agency-{uuid.uuid4().hex[:8]}"


def _fail(store: BreakerStore, agency: str, times: int, now: float) -> None:
    for _ in range(times):
        store.failed(agency, POLICY, now)


def test_the_breaker_stays_closed_below_the_threshold(store: BreakerStore) -> None:
    agency = _agency()
    _fail(store, agency, 2, 1000.0)
    assert store.admit(agency, POLICY, 1000.0).allowed
    assert store.view(agency).state is BreakerState.CLOSED
    assert store.view(agency).failures == 2


def test_a_success_in_between_starts_the_count_again(store: BreakerStore) -> None:
    agency = _agency()
    _fail(store, agency, 2, 1000.0)
    store.succeeded(agency)
    _fail(store, agency, 2, 1000.0)
    assert store.view(agency).state is BreakerState.CLOSED


def test_repeated_transient_failures_open_it_until_the_probe_time(store: BreakerStore) -> None:
    agency = _agency()
    _fail(store, agency, 3, 1000.0)
    admission = store.admit(agency, POLICY, 1010.0)
    assert not admission.allowed
    assert admission.retry_at == pytest.approx(1030.0)
    assert store.view(agency).state is BreakerState.OPEN


def test_at_the_probe_time_one_push_probes_and_the_others_wait(store: BreakerStore) -> None:
    agency = _agency()
    _fail(store, agency, 3, 1000.0)
    probe = store.admit(agency, POLICY, 1030.0)
    other = store.admit(agency, POLICY, 1031.0)
    assert probe.allowed and probe.probe
    assert not other.allowed and other.retry_at == pytest.approx(1035.0)
    assert store.view(agency).state is BreakerState.HALF_OPEN


def test_a_probe_that_gets_through_closes_the_breaker(store: BreakerStore) -> None:
    agency = _agency()
    _fail(store, agency, 3, 1000.0)
    store.admit(agency, POLICY, 1030.0)
    store.succeeded(agency)
    assert store.admit(agency, POLICY, 1030.5) == store.admit(agency, POLICY, 1030.6)
    assert store.admit(agency, POLICY, 1030.7).allowed
    assert store.view(agency).state is BreakerState.CLOSED


def test_a_probe_that_fails_opens_it_again_for_the_whole_time(store: BreakerStore) -> None:
    agency = _agency()
    _fail(store, agency, 3, 1000.0)
    store.admit(agency, POLICY, 1030.0)
    store.failed(agency, POLICY, 1032.0)
    admission = store.admit(agency, POLICY, 1040.0)
    assert not admission.allowed and admission.retry_at == pytest.approx(1062.0)


def test_two_breaker_stores_on_one_redis_see_one_breaker(broker: str) -> None:
    """Two worker processes sharing it: tests/faults/test_throttle_across_workers.py."""
    agency = _agency()
    one, other = RedisBreakers(REDIS), RedisBreakers(REDIS)
    _fail(one, agency, 3, time.time())
    assert not other.admit(agency, POLICY, time.time()).allowed


def test_a_permanent_refusal_does_not_count_towards_opening(broker: str) -> None:
    agency = _agency()
    breaker = Breaker(agency, POLICY, RedisBreakers(REDIS))
    for _ in range(5):
        breaker.record(transient_failure=False)
    assert breaker.admit().allowed


def test_an_unreachable_redis_lets_pushes_through() -> None:
    breaker = Breaker(_agency(), POLICY, RedisBreakers(f"redis://127.0.0.1:{free_port()}/0"))
    breaker.record(transient_failure=True)
    assert breaker.admit().allowed


def test_an_agreement_without_limits_is_not_throttled() -> None:
    assert rate_limits({"max_attempts": 3}) == []


def test_two_throttles_on_one_redis_count_against_one_window(broker: str) -> None:
    """Two worker processes sharing it, measured at the agency:
    tests/faults/test_throttle_across_workers.py."""
    agency = _agency()
    limits = rate_limits({"max_per_second": 5})
    workers = [Throttle(agency, limits, storage_from_string(REDIS)) for _ in range(2)]
    started = time.time()
    taken = [workers[i % 2].take() for i in range(5)]
    refused = workers[1].take()
    assert taken == [None] * 5
    assert refused is not None and started < refused <= started + 1.1


# --- end to end: a real worker, an agency of its own ------------------------------------------


@pytest.fixture(scope="module")
def roads(database: str, broker: str) -> Iterator[tuple[RestSandboxApp, BackgroundServer]]:
    app = create_app(RestSandboxSettings(step_seconds=0.3, ticket_prefix="RDS"))
    with BackgroundServer(app) as server:
        yield app, server


def _roads_request() -> dict:
    return citizen_request(category="roads.pothole", subject="چاله بزرگ در جاده گرگان")


def _attempts(agreement_id: str) -> int:
    with session_scope() as session:
        return session.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .join(Referral, Referral.id == DeliveryAttempt.referral_id)
            .where(Referral.agreement_id == agreement_id)
        )


@pytest.mark.usefixtures("worker")
def test_an_agency_down_for_a_while_gets_every_referral_once_when_it_is_back(
    api: httpx.Client,
    api_as: Callable[..., httpx.Client],
    roads: tuple[RestSandboxApp, BackgroundServer],
) -> None:
    app, server = roads
    directory = Path(os.environ["SAMAD_AGREEMENTS_DIR"])
    agreement = f"roads-down-{uuid.uuid4().hex[:6]}"
    path = write_roads_agreement(
        directory,
        server.url,
        agreement,
        max_attempts=6,
        breaker_failures=3,
        breaker_open_seconds=1,
        backoff_seconds=0.1,
        backoff_max_seconds=0.2,
    )
    try:
        app.faults.set("error500")  # down until switched off
        codes = [
            api.post("/v1/requests", json=_roads_request()).json()["tracking_code"]
            for _ in range(5)
        ]
        time.sleep(8)  # eight times the probe interval; without the breaker all would be failed
        during = _attempts(agreement)
        app.faults.reset()
        for code in codes:
            wait_for(
                lambda code=code: (
                    api.get(f"/v1/requests/{code}").json()["referrals"][0]["state"]
                    in ("delivered", "viewed", "in_progress", "forwarded", "resolved")
                ),
                timeout=20,
                what=f"{code} delivered after the agency came back",
            )
        breakers = api_as("admin").get("/v1/admin/breakers").json()
        references = [
            api.get(f"/v1/requests/{code}").json()["referrals"][0]["reference"] for code in codes
        ]
    finally:
        app.faults.reset()
        path.unlink()
    # 5 referrals × 6 attempts would be 30 pushes; the breaker allowed the first failures and
    # about one probe a second.
    assert during <= 3 + 5 + 10
    assert_one_ticket_each(app.tickets, references)
    assert breakers[agreement]["state"] == "closed"
