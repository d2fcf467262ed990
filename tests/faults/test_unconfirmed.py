"""An agency that opens the case and then fails its answer: the hub never calls that delivery
failed, and never opens a second case where the agency cannot de-duplicate.

The agency here is a REST sandbox that, like many CRMs, ignores Idempotency-Key: every push opens
a ticket. Its faults act *after* the ticket is opened (an answer too slow, a 500, an HTML page, a
dropped connection). The real worker delivers; the tickets are counted at the agency.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.models import Event, Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.intake.submit import submit_request
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, create_app
from hub.sandbox.rest_faults import FaultMode
from hub.sandbox.server import BackgroundServer
from tests.core.waiting import wait_for
from tests.faults.support import tickets_for, write_roads_agreement
from tests.support.cli import samad_hub
from tests.support.referrals import alerts_of, referral_of
from tests.support.requests import citizen_request
from tests.support.tickets import assert_one_ticket_each

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(600)]
AFTER_ACTING = [
    FaultMode.CREATED_THEN_SLOW,
    FaultMode.CREATED_THEN_500,
    FaultMode.CREATED_THEN_GARBAGE,
    FaultMode.CREATED_THEN_DROP,
    FaultMode.CREATED_THEN_RESET,
]


@dataclass
class Agency:
    agreement_id: str
    category: str
    app: RestSandboxApp


@pytest.fixture(scope="module")
def crm(database: str, broker: str) -> Iterator[tuple[RestSandboxApp, BackgroundServer]]:
    """A CRM that opens a ticket for every push it gets: no idempotency of its own."""
    settings = RestSandboxSettings(step_seconds=0.3, ticket_prefix="GAS", honour_idempotency=False)
    app = create_app(settings)
    with BackgroundServer(app) as server:
        yield app, server


def _agency(crm: tuple[RestSandboxApp, BackgroundServer], idempotency: str) -> Iterator[Agency]:
    app, server = crm
    suffix = uuid.uuid4().hex[:8]
    agency = Agency(f"gas-{suffix}", f"roads.gas_{suffix}", app)
    path = write_roads_agreement(
        Path(os.environ["SAMAD_AGREEMENTS_DIR"]),
        server.url,
        agency.agreement_id,
        category=agency.category,
        timeout_seconds=1,
        idempotency=idempotency,
        max_attempts=6,
        backoff_seconds=0.1,
        backoff_max_seconds=0.2,
        breaker_failures=1000,
    )
    try:
        yield agency
    finally:
        app.faults.reset()
        path.unlink()


@pytest.fixture
def no_dedupe(crm: tuple[RestSandboxApp, BackgroundServer]) -> Iterator[Agency]:
    """The agreement says what the CRM does: it cannot de-duplicate (``idempotency: none``)."""
    yield from _agency(crm, "none")


def _submit(api: httpx.Client, agency: Agency) -> str:
    answer = api.post("/v1/requests", json=citizen_request(category=agency.category))
    assert answer.status_code == 201, answer.text
    code: str = answer.json()["tracking_code"]
    return code


def _state(api: httpx.Client, code: str) -> str:
    state: str = api.get(f"/v1/requests/{code}").json()["referrals"][0]["state"]
    return state


def _unconfirmed(api: httpx.Client, agency: Agency, fault: FaultMode) -> Referral:
    agency.app.faults.set(fault, count=1, delay_seconds=3, method="POST", path="/api/v1/tickets")
    code = _submit(api, agency)
    wait_for(
        lambda: _state(api, code) not in ("pending", "delivering"),
        timeout=60,
        what=f"{code} settled",
    )
    referral = referral_of(code)
    assert referral.state == "unconfirmed", (
        f"{fault}: {referral.state}, tickets {tickets_for(agency.app, referral.reference)}"
    )
    return referral


@pytest.mark.parametrize("fault", AFTER_ACTING)
def test_an_answer_lost_after_the_agency_acted_leaves_one_case_and_an_unconfirmed_referral(
    api: httpx.Client, no_dedupe: Agency, fault: FaultMode
) -> None:
    referral = _unconfirmed(api, no_dedupe, fault)
    # Pushed once (this CRM opens a ticket for every push), and nothing will push it again.
    assert_one_ticket_each(no_dedupe.app.tickets, [referral.reference])
    assert referral.next_attempt_at is None
    alerts = [a for a in alerts_of(referral.id) if a["alert"] == "delivery_unconfirmed"]
    assert len(alerts) == 1 and "may hold the case" in alerts[0]["reason"]
    assert not [a for a in alerts_of(referral.id) if a["alert"] == "delivery_failed"]


def _referral_state(referral_id: int) -> str:
    with session_scope() as session:
        return session.get_one(Referral, referral_id).state


def test_an_unconfirmed_referral_is_not_resent_without_the_admins_knowing_choice(
    api: httpx.Client, api_as, no_dedupe: Agency
) -> None:
    referral = _unconfirmed(api, no_dedupe, FaultMode.CREATED_THEN_500)
    refused = samad_hub("referrals", "resend", str(referral.id))
    assert refused.returncode == 1
    assert "may hold its case already" in refused.stdout + refused.stderr
    admin = api_as("admin")
    answer = admin.post(f"/v1/admin/referrals/{referral.id}/resend")
    assert answer.status_code == 409 and "--may-duplicate" in answer.json()["detail"]
    assert "تکراری" in answer.json()["detail_fa"]
    listed = samad_hub("referrals", "unconfirmed", "--agency", no_dedupe.agreement_id)
    assert referral.reference in listed.stdout
    assert _referral_state(referral.id) == "unconfirmed"
    assert len(tickets_for(no_dedupe.app, referral.reference)) == 1


def test_the_case_id_found_at_the_agency_makes_it_delivered_and_followed_up(
    api: httpx.Client, api_as, no_dedupe: Agency
) -> None:
    referral = _unconfirmed(api, no_dedupe, FaultMode.CREATED_THEN_GARBAGE)
    [ticket] = tickets_for(no_dedupe.app, referral.reference)
    admin = api_as("admin")
    listed = admin.get("/v1/admin/unconfirmed", params={"agency": no_dedupe.agreement_id}).json()
    assert [row["referral_id"] for row in listed] == [referral.id]
    assert listed[0]["state"] == "unconfirmed"
    answer = admin.post(f"/v1/admin/referrals/{referral.id}/confirm", json={"external_id": ticket})
    assert answer.status_code == 200, answer.text
    wait_for(  # polled from now on: the CRM's ticket moves on every 0.3 s
        lambda: _referral_state(referral.id) in ("viewed", "in_progress", "forwarded", "resolved"),
        timeout=60,
        what="the confirmed referral followed up",
    )
    with session_scope() as session:
        assert session.get_one(Referral, referral.id).external_id == ticket
    assert len(tickets_for(no_dedupe.app, referral.reference)) == 1


def test_a_resend_the_admin_chose_knowing_it_may_duplicate_is_sent(
    api: httpx.Client, no_dedupe: Agency
) -> None:
    referral = _unconfirmed(api, no_dedupe, FaultMode.CREATED_THEN_DROP)
    chosen = samad_hub("referrals", "resend", str(referral.id), "--may-duplicate")
    assert chosen.returncode == 0, chosen.stdout + chosen.stderr
    wait_for(lambda: _referral_state(referral.id) != "pending", timeout=60, what="re-pushed")
    wait_for(
        lambda: len(tickets_for(no_dedupe.app, referral.reference)) == 2,
        timeout=30,
        what="the second case the admin accepted",
    )


def test_where_the_agency_dedupes_the_same_fault_ends_delivered_with_one_case(
    api: httpx.Client, database: str
) -> None:
    honouring = create_app(RestSandboxSettings(step_seconds=0.3, ticket_prefix="HON"))
    with BackgroundServer(honouring) as honest:
        agency = Agency(
            f"gas-h-{uuid.uuid4().hex[:8]}", f"roads.h_{uuid.uuid4().hex[:8]}", honouring
        )
        path = write_roads_agreement(
            Path(os.environ["SAMAD_AGREEMENTS_DIR"]),
            honest.url,
            agency.agreement_id,
            category=agency.category,
            timeout_seconds=1,
            idempotency="header",
            max_attempts=6,
            backoff_seconds=0.1,
            backoff_max_seconds=0.2,
            breaker_failures=1000,
        )
        try:
            honouring.faults.set(
                FaultMode.CREATED_THEN_500, count=1, method="POST", path="/api/v1/tickets"
            )
            code = _submit(api, agency)
            wait_for(lambda: _state(api, code) != "pending", timeout=60, what="delivered")
            wait_for(
                lambda: _state(api, code) not in ("pending", "delivering"),
                timeout=60,
                what="settled",
            )
            referral = referral_of(code)
            assert referral.state != "unconfirmed" and referral.external_id
            assert len(tickets_for(honouring, referral.reference)) == 1
            assert honouring.tickets.stats().replays >= 1  # the retry found the first ticket
        finally:
            path.unlink()


def test_a_push_whose_worker_died_is_unconfirmed_where_a_repush_could_duplicate(
    no_dedupe: Agency,
) -> None:
    far = utcnow() + timedelta(days=365)
    with session_scope() as session:  # due in a year: no worker takes it before the test does
        result = submit_request(
            session,
            citizen_request(category=no_dedupe.category),
            get_registry(),
            get_settings(),
        )
        referral_id = result.referrals[0].id
        session.execute(
            update(Referral).where(Referral.id == referral_id).values(next_attempt_at=far)
        )
    with session_scope() as session:  # as a worker killed mid-push leaves it, its lease run out
        session.execute(
            update(Referral)
            .where(Referral.id == referral_id)
            .values(state="delivering", next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    wait_for(
        lambda: _referral_state(referral_id) == "unconfirmed",
        timeout=60,
        what="the dispatch sweep to find the lost push",
    )
    alerts = [a for a in alerts_of(referral_id) if a["alert"] == "delivery_unconfirmed"]
    assert alerts and "worker lost" in alerts[0]["reason"]
    assert not tickets_for(no_dedupe.app, result.referrals[0].reference)  # never re-pushed


def test_the_cli_shows_deliveries_in_flight_with_their_lease(no_dedupe: Agency) -> None:
    far = utcnow() + timedelta(days=365)
    with session_scope() as session:
        result = submit_request(
            session, citizen_request(category=no_dedupe.category), get_registry(), get_settings()
        )
        [referral] = result.referrals
        held = update(Referral).where(Referral.id == referral.id)
        session.execute(held.values(state="delivering", next_attempt_at=far))
    listed = samad_hub("referrals", "in-flight", "--agency", no_dedupe.agreement_id)
    assert listed.returncode == 0, listed.stderr
    assert referral.reference in listed.stdout
    assert far.strftime("%Y-%m-%d %H:%M") in listed.stdout


FIND = "    find:\n      path: /api/v1/tickets?ref={reference}\n      external_id: ticket.id\n"


@pytest.fixture
def looks_up(crm: tuple[RestSandboxApp, BackgroundServer]) -> Iterator[Agency]:
    """The same CRM, with an agreement that says its cases can be found by our reference."""
    for agency in _agency(crm, "lookup"):
        path = Path(os.environ["SAMAD_AGREEMENTS_DIR"]) / f"{agency.agreement_id}.yaml"
        text = path.read_text(encoding="utf-8").replace("    check_path:", FIND + "    check_path:")
        partial = path.with_name(f".{path.name}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)  # a worker reloading never sees half a file
        time.sleep(3)  # the worker's registry reloads changed files every 2 s
        yield agency


def _events(referral_id: int) -> list[Event]:
    with session_scope() as session:
        events = list(
            session.scalars(
                select(Event).where(Event.referral_id == referral_id).order_by(Event.id)
            )
        )
        session.expunge_all()
        return events


def test_an_unclear_answer_is_looked_up_and_the_case_found_is_the_delivery(
    api: httpx.Client, looks_up: Agency
) -> None:
    looks_up.app.faults.set(
        FaultMode.CREATED_THEN_500, count=1, method="POST", path="/api/v1/tickets"
    )
    code = _submit(api, looks_up)
    wait_for(
        lambda: _state(api, code) in ("delivered", "viewed", "in_progress", "forwarded"),
        timeout=60,
        what="found by its reference",
    )
    referral = referral_of(code)
    [ticket] = tickets_for(looks_up.app, referral.reference)
    assert referral.external_id == ticket
    reasons = [e.data.get("reason", "") for e in _events(referral.id)]
    assert any(f"found at the agency as case {ticket}" in r for r in reasons), reasons


def test_an_unclear_answer_of_an_agency_that_holds_nothing_is_pushed_again(
    api: httpx.Client, looks_up: Agency
) -> None:
    looks_up.app.faults.set(FaultMode.ERROR500, count=1, method="POST", path="/api/v1/tickets")
    code = _submit(api, looks_up)  # a 500 says nothing sure: the ticket was not opened, here
    wait_for(
        lambda: _state(api, code) in ("delivered", "viewed", "in_progress", "forwarded"),
        timeout=60,
        what="looked up, not found, pushed again",
    )
    referral = referral_of(code)
    assert tickets_for(looks_up.app, referral.reference) == [referral.external_id]
    moves = [(e.from_state, e.to_state) for e in _events(referral.id) if e.to_state]
    assert ("delivering", "unconfirmed") in moves and ("unconfirmed", "pending") in moves


def test_a_lookup_agreement_whose_connector_cannot_look_up_waits_for_a_person(
    api: httpx.Client, crm: tuple[RestSandboxApp, BackgroundServer]
) -> None:
    for agency in _agency(crm, "lookup"):  # no find: block in its settings
        referral = _unconfirmed(api, agency, FaultMode.CREATED_THEN_GARBAGE)
        wait_for(
            lambda referral=referral: any(
                "names no way to look a case up" in a.get("reason", "")
                for a in alerts_of(referral.id)
            ),
            timeout=30,
            what="the alert that nobody can look it up",
        )
        assert _referral_state(referral.id) == "unconfirmed"
        assert len(tickets_for(agency.app, referral.reference)) == 1
