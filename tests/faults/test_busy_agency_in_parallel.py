"""One busy agency uses more than one worker, and its backlog is alerted.

A delivery task that claims a full batch wakes the agency's second delivery slot
(``SAMAD_DELIVERY_TASKS_PER_AGENCY``, 2), so a second worker process takes batches of the same
agency at once — before, one task per agency ran at a time and a second worker added only
availability. Checked where it shows: two batches of the agency pushed at the same time (the
run's own worker, when other tests started it, may take some of them), and exactly one ticket
per referral at the agency. Figures (deliveries per second against a 30/s intake) are the
benchmark's, not this test's.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from hub.db.models import DeliveryAttempt, Event, Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery.dispatch import due_agreements
from hub.sandbox.rest_faults import FaultMode
from hub.worker.process import start_worker, stop_process
from tests.core.waiting import wait_for
from tests.support.fixtures import Sandboxes
from tests.support.requests import BASE, citizen_request, national_id
from tests.support.tickets import assert_one_ticket_each

REQUESTS = 80


@pytest.fixture
def two_workers(database: str, broker: str, tmp_path: Path) -> Iterator[Callable[[], None]]:
    """Two worker processes of one thread each, started when called: a second task of the
    agency can only run in the other process."""
    workers = []

    def start() -> None:
        for i in range(2):
            workers.append(start_worker(tmp_path / f"worker-{i}.log", beat=False, threads=1))

    yield start
    for worker in workers:
        stop_process(worker)


def _someone(i: int) -> dict:
    nid = national_id((uuid.uuid4().int + i) % 10**8)
    return citizen_request(citizen={**BASE["citizen"], "national_id": nid})


def test_a_backlog_of_one_agency_is_delivered_by_two_workers_at_once(
    two_workers: Callable[[], None], api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    """The backlog is filed before any worker runs and no beat runs: the intake's one wake
    sends one task, and only that task's call for help can put the second worker to work."""
    clean_sandboxes.water.faults.set(FaultMode.SLOW, count=10_000, delay_seconds=0.3)
    try:
        filed = [api.post("/v1/requests", json=_someone(i)).json() for i in range(REQUESTS)]
        references = [f["referrals"][0]["reference"] for f in filed]
        assert all(f["referrals"][0]["agreement_id"] == "golestan-water" for f in filed)
        two_workers()

        def all_delivered() -> list[str] | None:
            with session_scope() as session:
                states = session.scalars(
                    select(Referral.state).where(Referral.reference.in_(references))
                ).all()
            return None if any(s in ("pending", "delivering") for s in states) else list(states)

        wait_for(all_delivered, 240, what="every referral of the backlog to be delivered")
    finally:
        clean_sandboxes.water.faults.reset()
    with session_scope() as session:
        attempts = session.execute(
            select(DeliveryAttempt.worker, DeliveryAttempt.started_at, DeliveryAttempt.finished_at)
            .join(Referral, Referral.id == DeliveryAttempt.referral_id)
            .where(Referral.reference.in_(references), DeliveryAttempt.outcome == "delivered")
        ).all()
    # A batch's attempts are written together at its claim (one worker, one moment): two
    # batches whose pushes were under way at the same time ran in two tasks at once.
    batches: dict[tuple[str, object], list[tuple[object, object]]] = {}
    for worker, started, finished in attempts:
        batches.setdefault((worker, started), []).append((started, finished))
    spans = [(min(s for s, _ in b), max(f for _, f in b)) for b in batches.values()]
    assert len(spans) >= 2, batches.keys()
    overlapping = [
        (one, other)
        for i, one in enumerate(spans)
        for other in spans[i + 1 :]
        if one[0] < other[1] and other[0] < one[1]
    ]
    assert overlapping, f"no two batches of this agency were pushed at the same time: {spans}"
    assert_one_ticket_each(clean_sandboxes.water.tickets, references)


@pytest.fixture
def waiting_referral(api: httpx.Client) -> Iterator[Callable[[float], str]]:
    """A pending referral of an agreement no worker delivers, due ``minutes`` ago."""

    def make(minutes: float) -> str:
        agreement = f"backlog-{uuid.uuid4().hex[:8]}"
        reference = api.post("/v1/requests", json=_someone(0)).json()["referrals"][0]["reference"]
        with session_scope() as session:
            session.execute(
                update(Referral)
                .where(Referral.reference == reference)
                .values(
                    agreement_id=agreement,
                    state="pending",
                    next_attempt_at=utcnow() - timedelta(minutes=minutes),
                )
            )
        return agreement

    yield make


def _backlog_alerts(agreement: str) -> list[Event]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(Event).where(
                    Event.kind == "alert",
                    Event.data["alert"].as_string() == "delivery_backlog",
                    Event.data["agreement"].as_string() == agreement,
                )
            )
        )


def test_a_referral_due_long_and_untried_raises_one_backlog_alert(
    waiting_referral: Callable[[float], str],
) -> None:
    recent = waiting_referral(2)  # SAMAD_BACKLOG_ALERT_MINUTES is 15
    late = waiting_referral(20)
    for _ in range(2):  # two dispatch sweeps
        with session_scope() as session:
            due = due_agreements(session, 1000)
        assert recent in due and late in due
    assert _backlog_alerts(recent) == []
    [alerted] = _backlog_alerts(late)  # once, not once per sweep
    assert alerted.data["waited_minutes"] >= 20
