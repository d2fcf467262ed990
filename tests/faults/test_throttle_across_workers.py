"""An agency's rate holds across worker processes, measured where the agency sees it.

Two workers, each its own process with one task thread, deliver a stream of requests three
times as fast as the agreement allows (``max_per_second: 3``) to an agency that takes a while
over every push: a worker busy pushing leaves the next delivery task to the other, so both push,
each with its own connections and its own memory, and only the throttle they share through
Redis keeps them to one rate. The agency sandbox records when each push *arrives* — not when a
worker claimed it or took its throttle slot — and no window of a second, less a generous
allowance for the time between a slot and its push reaching the agency, may hold more than the
limit.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.core.celery_app import app as celery
from hub.core.settings import REPO_ROOT
from hub.db.models import DeliveryAttempt, Referral
from hub.db.session import session_scope
from hub.sandbox.arrivals import most_within
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, create_app
from hub.sandbox.server import BackgroundServer
from hub.worker.process import start_worker, stop_process
from tests.core.waiting import wait_for
from tests.faults.support import write_roads_agreement
from tests.support.fixtures import PUSHES
from tests.support.referrals import referral_of
from tests.support.requests import citizen_request
from tests.support.tickets import assert_one_ticket_each

pytestmark = pytest.mark.timeout(180)

LIMIT = 3  # pushes a second, the agreement's max_per_second
REQUESTS = 24  # submitted at about three times the limit
HELD_SECONDS = 0.3  # how long the agency takes over each push
# A push reaches the agency a little after its throttle slot was taken (the claim commits, a push
# thread starts, the request goes out), some a little later than others: the pushes of slots a
# second apart may arrive up to this much closer together. Generous: it is not what is measured.
JITTER_SECONDS = 0.25
OPEN_SECONDS = 1.0  # the breaker test's breaker_open_seconds


def _replies() -> int:
    return len(celery.control.ping(timeout=0.5))


@pytest.fixture(scope="module")
def two_workers(
    database: str, broker: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Two worker processes (one task thread each) and a beat of their own for the sweeps.

    The beat is a process of its own with its own schedule file: a worker started with
    ``--beat`` would share the schedule file of the run's worker, if that one is running too.
    """
    logs = tmp_path_factory.mktemp("throttle")
    others = _replies()  # the run's own worker, if another module started it
    workers = [start_worker(logs / f"worker-{i}.log", beat=False, threads=1) for i in range(2)]
    with (logs / "beat.log").open("wb") as log:
        beat = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hub.core.celery_app:app", "beat",
             "--loglevel", "WARNING", f"--schedule={logs / 'beat-schedule'}"],
            cwd=REPO_ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_for(lambda: _replies() >= others + 2, timeout=60, what="both workers answering")
        yield
    finally:
        for process in [*workers, beat]:
            stop_process(process)


@pytest.fixture(scope="module")
def slow_agency(database: str) -> Iterator[tuple[RestSandboxApp, str]]:
    agency = create_app(RestSandboxSettings(step_seconds=60, ticket_prefix="THR"))
    agency.faults.set("slow", delay_seconds=HELD_SECONDS, **PUSHES)  # every push, until the end
    with BackgroundServer(agency) as server:
        yield agency, server.url


def _delivered_by(agreement_id: str) -> dict[str, str]:
    """Referral reference → the worker (host:pid) whose push delivered it."""
    with session_scope() as session:
        rows = session.execute(
            select(Referral.reference, DeliveryAttempt.worker)
            .join(DeliveryAttempt, DeliveryAttempt.referral_id == Referral.id)
            .where(Referral.agreement_id == agreement_id, DeliveryAttempt.outcome == "delivered")
        ).all()
    return {reference: worker or "" for reference, worker in rows}


@pytest.mark.usefixtures("two_workers")
def test_two_workers_together_never_push_faster_than_the_agreements_rate(
    api: httpx.Client, slow_agency: tuple[RestSandboxApp, str]
) -> None:
    agency, url = slow_agency
    agreement = f"roads-rate-{uuid.uuid4().hex[:6]}"
    category = f"roads.rate_{uuid.uuid4().hex[:6]}"
    path = write_roads_agreement(
        Path(os.environ["SAMAD_AGREEMENTS_DIR"]),
        url,
        agreement,
        category=category,
        max_per_second=LIMIT,
        backoff_seconds=0.1,
        backoff_max_seconds=0.2,
    )
    try:
        for _ in range(REQUESTS):  # a steady stream, each request woken at once by its intake
            answer = api.post("/v1/requests", json=citizen_request(category=category))
            assert answer.status_code == 201, answer.text
            time.sleep(1 / (3 * LIMIT))
        wait_for(
            lambda: len(_delivered_by(agreement)) == REQUESTS,
            timeout=60,
            what=f"{REQUESTS} referrals delivered",
        )
        delivered = _delivered_by(agreement)
    finally:
        path.unlink()
    arrived = agency.arrivals.times(**PUSHES)

    assert len(arrived) == REQUESTS  # one push each: the throttle defers, it never fails one
    assert_one_ticket_each(agency.tickets, list(delivered))
    assert len(set(delivered.values())) >= 2, delivered  # both processes pushed
    gaps = [round(b - a, 3) for a, b in itertools.pairwise(arrived)]
    # The shared window lets LIMIT slots be taken in any second; their pushes arrive in a window
    # at most JITTER shorter. Two windows of their own, one per worker, would let twice as many.
    assert most_within(arrived, 1.0 - JITTER_SECONDS) <= LIMIT, f"seconds between: {gaps}"


@pytest.fixture(scope="module")
def down_agency(database: str) -> Iterator[tuple[RestSandboxApp, str]]:
    agency = create_app(RestSandboxSettings(step_seconds=60, ticket_prefix="BRK"))
    with BackgroundServer(agency) as server:
        yield agency, server.url


def _attempted_by(agreement_id: str) -> set[str]:
    with session_scope() as session:
        return set(
            session.scalars(
                select(DeliveryAttempt.worker)
                .join(Referral, Referral.id == DeliveryAttempt.referral_id)
                .where(Referral.agreement_id == agreement_id)
            )
        )


@pytest.mark.usefixtures("two_workers")
def test_two_workers_share_one_breaker_and_probe_a_down_agency_one_push_at_a_time(
    api: httpx.Client, down_agency: tuple[RestSandboxApp, str]
) -> None:
    """Down, the agency gets the first failures, then one probe per ``breaker_open_seconds``
    from the two workers together: a breaker of each worker's own would open only on that
    worker's failures and probe on its own, so probes would come twice as often."""
    agency, url = down_agency
    agreement = f"roads-down-{uuid.uuid4().hex[:6]}"
    category = f"roads.down_{uuid.uuid4().hex[:6]}"
    path = write_roads_agreement(
        Path(os.environ["SAMAD_AGREEMENTS_DIR"]),
        url,
        agreement,
        category=category,
        max_attempts=100,
        backoff_seconds=0.1,
        backoff_max_seconds=0.2,
        breaker_failures=3,
        breaker_open_seconds=OPEN_SECONDS,
    )
    agency.faults.set("error500", **PUSHES)  # down, until reset
    try:
        codes = []
        for _ in range(6):
            answer = api.post("/v1/requests", json=citizen_request(category=category))
            assert answer.status_code == 201, answer.text
            codes.append(answer.json()["tracking_code"])
        wait_for(lambda: len(_probes(agency)) >= 6, timeout=60, what="six probes of the agency")
        probes = _probes(agency)
        agency.faults.reset()
        wait_for(
            lambda: all(referral_of(code).external_id for code in codes),
            timeout=60,
            what="every referral delivered once the agency is back",
        )
        references = [referral_of(code).reference for code in codes]
    finally:
        agency.faults.reset()
        path.unlink()

    gaps = [round(b - a, 3) for a, b in itertools.pairwise(probes)]
    assert most_within(probes, OPEN_SECONDS - JITTER_SECONDS) <= 1, f"seconds between: {gaps}"
    assert_one_ticket_each(agency.tickets, references)
    assert len(_attempted_by(agreement)) >= 2  # both processes pushed


def _probes(agency: RestSandboxApp) -> list[float]:
    """The pushes after the first failures opened the breaker: every arrival a full open time
    after the first (the first failures all come within a fraction of a second)."""
    arrived = agency.arrivals.times(**PUSHES)
    return [at for at in arrived if arrived and at >= arrived[0] + OPEN_SECONDS]
