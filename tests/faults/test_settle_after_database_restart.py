"""What the agency took is kept when PostgreSQL goes away mid-push, and a lost push is closed.

Issue 19, item 5. A delivery claims its referral (``delivering``, an attempt ``started``), pushes
it, then settles it. Here the agency is a CRM that opens a ticket for every push it gets (it
ignores Idempotency-Key) and its agreement says so (``delivery.idempotency: none``), so a second
push would show as a second ticket, counted at the agency.

1. A delivery runs in a process of its own against a PostgreSQL server of the test's own. The
   agency opens the ticket and holds its answer back a moment; meanwhile the server crashes
   (``pg_ctl stop -m immediate``) and comes back 2 s later. The settle that met no server is
   tried again until it is back: the referral is delivered with the agency's ticket id, once.
2. A delivery process killed -9 mid-push leaves its referral ``delivering`` and its attempt
   ``started``. When the lease runs out, the dispatch sweep closes that attempt as ``lost`` and,
   since this agency cannot tell a re-push, calls the referral ``unconfirmed``: nothing pushes it
   again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.core.settings import REPO_ROOT, get_settings
from hub.db.models import DeliveryAttempt, Referral
from hub.db.session import new_session, session_scope
from hub.delivery.breaker import shared_redis
from hub.delivery.dispatch import due_agreements
from hub.delivery.receipts import RECEIPT_KEY
from hub.intake.submit import register
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, create_app
from hub.sandbox.rest_faults import FaultMode
from hub.sandbox.server import BackgroundServer
from tests.faults.support import write_roads_agreement
from tests.support.fixtures import PUSHES
from tests.support.private_databases import private_database
from tests.support.private_postgres import PrivatePostgres
from tests.support.requests import citizen_request
from tests.support.tickets import assert_one_ticket_each

pytestmark = pytest.mark.timeout(180)

# deliver_due of one agreement, as a worker's task runs it; its outcomes on stdout, its log on
# stderr.
DELIVER = """
import logging, sys
logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.delivery.batch import deliver_due
print(*deliver_due(sys.argv[1], get_registry(), get_settings()))
"""
OUTAGE_SECONDS = 2.0
DEAD_WORKER_LEASE_SECONDS = 2.0


@dataclass
class Agency:
    agreement_id: str
    category: str
    app: RestSandboxApp


@dataclass
class Delivery:
    """A delivery process, its stdout and stderr in files."""

    process: subprocess.Popen[bytes]
    out: Path
    err: Path

    def log(self) -> str:
        return f"stdout: {self.out.read_text()}\nstderr: {self.err.read_text()[-4000:]}"

    def finish(self, timeout: float) -> None:
        try:
            self.process.wait(timeout=timeout)
        finally:
            if self.process.poll() is None:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def crm() -> Iterator[tuple[RestSandboxApp, BackgroundServer]]:
    """A CRM that opens a ticket for every push it gets: no idempotency of its own."""
    settings = RestSandboxSettings(step_seconds=60, ticket_prefix="STL", honour_idempotency=False)
    app = create_app(settings)
    with BackgroundServer(app) as server:
        yield app, server


@pytest.fixture
def agency(crm: tuple[RestSandboxApp, BackgroundServer]) -> Iterator[Agency]:
    """An agreement of this test's own with that CRM, which says it cannot de-duplicate."""
    app, server = crm
    suffix = uuid.uuid4().hex[:8]
    agency = Agency(f"settle-{suffix}", f"roads.settle_{suffix}", app)
    directory = Path(os.environ["SAMAD_AGREEMENTS_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    path = write_roads_agreement(
        directory,
        server.url,
        agency.agreement_id,
        category=agency.category,
        timeout_seconds=5,
        idempotency="none",
        max_attempts=4,
        breaker_failures=1000,
    )
    try:
        yield agency
    finally:
        app.faults.reset()
        path.unlink()


def _register(url: str, agency: Agency) -> tuple[int, str]:
    """A citizen's request for ``agency``, registered in ``url``: its referral's id, reference."""
    session = new_session(url)
    try:
        raw = citizen_request(category=agency.category)
        result = register(session, raw, get_registry(), get_settings())
        (referral,) = result.referrals
        return referral.id, referral.reference
    finally:
        session.close()


def _deliver_in_a_process(url: str, agency: Agency, logs: Path, lease_seconds: float) -> Delivery:
    env = {
        **os.environ,
        "SAMAD_DATABASE_URL": url,
        "SAMAD_DELIVERY_LEASE_SECONDS": str(lease_seconds),
    }
    logs.mkdir(parents=True, exist_ok=True)
    out, err = logs / "delivery.out", logs / "delivery.err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-c", DELIVER, agency.agreement_id],
            cwd=REPO_ROOT, env=env, stdout=stdout, stderr=stderr,
        )  # fmt: skip
    return Delivery(process, out, err)


def _wait_for(
    check: Callable[[], Any], timeout: float, what: str, delivery: Delivery | None = None
) -> Any:
    """``check()`` once it is truthy; fails early if the ``delivery`` process ends before."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        if delivery is not None and delivery.process.poll() is not None:
            raise AssertionError(f"the delivery ended before {what}:\n{delivery.log()}")
        time.sleep(0.05)
    raise AssertionError(f"not within {timeout} s: {what}\n{delivery.log() if delivery else ''}")


def _referral(url: str, referral_id: int) -> Referral:
    with session_scope(url) as session:
        referral = session.get_one(Referral, referral_id)
        session.expunge(referral)
        return referral


def _attempts(url: str, referral_id: int) -> list[DeliveryAttempt]:
    with session_scope(url) as session:
        attempts = list(
            session.scalars(
                select(DeliveryAttempt)
                .where(DeliveryAttempt.referral_id == referral_id)
                .order_by(DeliveryAttempt.id)
            )
        )
        session.expunge_all()
        return attempts


def test_a_push_the_agency_took_is_settled_once_postgresql_is_back_from_a_crash(
    postgres: PrivatePostgres, agency: Agency, tmp_path: Path
) -> None:
    referral_id, reference = _register(postgres.url, agency)
    # The ticket is opened at once; its answer comes 1.5 s later, when the server is down.
    agency.app.faults.set(FaultMode.CREATED_THEN_SLOW, count=1, delay_seconds=1.5, **PUSHES)
    delivery = _deliver_in_a_process(postgres.url, agency, tmp_path, lease_seconds=20)
    try:
        what = "the agency opening its ticket"
        _wait_for(lambda: agency.app.tickets.tickets_for(reference), 60, what, delivery)
        postgres.stop()  # a crash: no checkpoint, the delivery's connections cut
        time.sleep(OUTAGE_SECONDS)
        postgres.start()
    finally:
        delivery.finish(timeout=30)

    assert delivery.process.returncode == 0, delivery.log()
    assert delivery.out.read_text().split() == ["delivered"], delivery.log()
    assert "the database is out of reach" in delivery.err.read_text(), delivery.log()
    assert_one_ticket_each(agency.app.tickets, [reference])
    (ticket,) = agency.app.tickets.tickets_for(reference)
    referral = _referral(postgres.url, referral_id)
    assert (referral.state, referral.external_id) == ("delivered", ticket.id)
    (attempt,) = _attempts(postgres.url, referral_id)
    assert attempt.outcome == "delivered" and attempt.finished_at is not None


def test_a_push_whose_worker_died_ends_lost_and_unconfirmed_and_is_not_pushed_again(
    agency: Agency, tmp_path: Path
) -> None:
    name = f"lease_{uuid.uuid4().hex[:8]}"
    with private_database("postgresql", name, tmp_path) as url:
        referral_id, reference = _register(url, agency)
        # The ticket is opened; the answer would come long after the worker is dead.
        agency.app.faults.set(FaultMode.CREATED_THEN_SLOW, count=1, delay_seconds=30, **PUSHES)
        lease = DEAD_WORKER_LEASE_SECONDS
        dying = _deliver_in_a_process(url, agency, tmp_path / "dying", lease_seconds=lease)
        try:
            what = "the agency opening its ticket"
            _wait_for(lambda: agency.app.tickets.tickets_for(reference), 60, what, dying)
        finally:
            dying.process.kill()  # SIGKILL mid-push, as an OOM kill or a lost machine would
            dying.process.wait()
        assert _referral(url, referral_id).state == "delivering"
        assert [a.outcome for a in _attempts(url, referral_id)] == ["started"]

        def recovered() -> bool:
            with session_scope(url) as session:
                due_agreements(session, limit=50)  # what the hub.dispatch_due task calls
            return _referral(url, referral_id).state != "delivering"

        _wait_for(recovered, lease + 30, "the sweep recovering the lease-expired referral")

        referral = _referral(url, referral_id)
        assert referral.state == "unconfirmed" and referral.next_attempt_at is None
        (attempt,) = _attempts(url, referral_id)
        assert attempt.outcome == "lost" and attempt.finished_at is not None
        assert "lease ran out" in (attempt.error or "")

        # Nothing pushes it again: neither the sweep nor a delivery of the agreement's due work.
        with session_scope(url) as session:
            assert agency.agreement_id not in due_agreements(session, limit=50)
        again = _deliver_in_a_process(url, agency, tmp_path / "again", lease_seconds=lease)
        again.finish(timeout=60)
        assert again.process.returncode == 0, again.log()
        assert again.out.read_text().split() == [], again.log()
        assert_one_ticket_each(agency.app.tickets, [reference])
        assert [a.outcome for a in _attempts(url, referral_id)] == ["lost"]


def test_a_push_whose_settle_gave_up_is_delivered_from_its_kept_receipt_and_not_pushed_again(
    postgres: PrivatePostgres, agency: Agency, tmp_path: Path
) -> None:
    """3. PostgreSQL stays down longer than the settle's retries (half the lease): the delivery
    gives up with the agency's answer in hand. The receipt was kept in Redis, so when the lease
    runs out the sweep delivers the referral with the agency's case id — no re-push (this agency
    would open a second case), no ``unconfirmed`` for a person to look up."""
    referral_id, reference = _register(postgres.url, agency)
    agency.app.faults.set(FaultMode.CREATED_THEN_SLOW, count=1, delay_seconds=1.0, **PUSHES)
    lease = 4.0  # the settle retries for 2 s; the server stays down 6 s
    delivery = _deliver_in_a_process(postgres.url, agency, tmp_path, lease_seconds=lease)
    try:
        what = "the agency opening its ticket"
        _wait_for(lambda: agency.app.tickets.tickets_for(reference), 60, what, delivery)
        postgres.stop()
        delivery.finish(timeout=30)  # it gives up while the server is down
        assert delivery.process.returncode != 0, delivery.log()
        assert "OperationalError" in delivery.err.read_text(), delivery.log()
        flags = shared_redis()
        assert flags is not None
        kept = flags.get(RECEIPT_KEY.format(referral_id))
        (ticket,) = agency.app.tickets.tickets_for(reference)
        assert kept is not None and ticket.id in kept.decode()  # the answer, kept
    finally:
        if delivery.process.poll() is None:
            delivery.process.kill()
        postgres.start()
    assert _referral(postgres.url, referral_id).state == "delivering"

    def recovered() -> bool:
        with session_scope(postgres.url) as session:
            due_agreements(session, limit=50)  # what the hub.dispatch_due task calls
        return _referral(postgres.url, referral_id).state != "delivering"

    _wait_for(recovered, lease + 30, "the sweep recovering the lease-expired referral")
    referral = _referral(postgres.url, referral_id)
    assert (referral.state, referral.external_id) == ("delivered", ticket.id)
    assert referral.next_poll_at is not None  # followed like any delivered referral
    (attempt,) = _attempts(postgres.url, referral_id)
    assert attempt.outcome == "delivered" and attempt.finished_at is not None
    assert_one_ticket_each(agency.app.tickets, [reference])
    assert flags.get(RECEIPT_KEY.format(referral_id)) is None  # dropped once committed
    with session_scope(postgres.url) as session:
        assert agency.agreement_id not in due_agreements(session, limit=50)
