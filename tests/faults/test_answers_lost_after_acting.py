"""A REST agency opens the ticket and then loses its answer — held past the hub's timeout, a
500, a dropped or reset connection, an HTML page — and still holds exactly one ticket for the
referral, whatever it can do about a second push.

Where it de-duplicates (``delivery.idempotency: header``: the Idempotency-Key; ``field``: a body
field it keeps unique) the hub pushes again, and the agency answers that second push from the
ticket it opened: it saw two pushes and opened one ticket. Where it cannot but a case can be
found (``lookup``), the hub finds the first ticket and pushes nothing more. Where it can do
neither (``none``) the referral waits, unconfirmed: ``test_unconfirmed.py``. The real worker
delivers; pushes, tickets and replays are counted at the agency.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.db.models import DeliveryAttempt, Event
from hub.db.session import session_scope
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, create_app
from hub.sandbox.rest_faults import FaultMode
from hub.sandbox.server import BackgroundServer
from tests.core.waiting import wait_for
from tests.faults.support import write_roads_agreement
from tests.support.fixtures import PUSHES
from tests.support.referrals import alerts_of, referral_of
from tests.support.requests import citizen_request
from tests.support.tickets import assert_one_ticket_each

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(120)]

LOST_AFTER_ACTING = [
    FaultMode.CREATED_THEN_SLOW,  # held 3 s, past the agreement's 1 s timeout
    FaultMode.CREATED_THEN_500,
    FaultMode.CREATED_THEN_DROP,
    FaultMode.CREATED_THEN_RESET,
    FaultMode.CREATED_THEN_GARBAGE,
]
# What the hub made of each answer, in its first attempt's error: the fault reached it as meant.
SEEN_AS = {
    FaultMode.CREATED_THEN_SLOW: "did not answer in time",
    FaultMode.CREATED_THEN_500: "answered HTTP 500",
    FaultMode.CREATED_THEN_DROP: "RemoteProtocolError",
    FaultMode.CREATED_THEN_RESET: "Connection reset by peer",
    FaultMode.CREATED_THEN_GARBAGE: "but not with JSON",
}
ON_ITS_WAY = ("delivered", "viewed", "in_progress", "forwarded", "resolved")
FIND = "    find:\n      path: /api/v1/tickets?ref={reference}\n      external_id: ticket.id\n"
# What each kind of agency keeps unique, as its sandbox is told.
CRMS = {
    "header": RestSandboxSettings(step_seconds=0.3, ticket_prefix="KEY"),
    "field": RestSandboxSettings(
        step_seconds=0.3, ticket_prefix="FLD", honour_idempotency=False, unique_field="request_key"
    ),
    "lookup": RestSandboxSettings(step_seconds=0.3, ticket_prefix="LKP", honour_idempotency=False),
}


@dataclass
class Agency:
    idempotency: str
    agreement_id: str
    category: str
    app: RestSandboxApp

    def pushes(self) -> int:
        return len(self.app.arrivals.times(**PUSHES))


@pytest.fixture(scope="module")
def crms(database: str, broker: str) -> Iterator[dict[str, tuple[RestSandboxApp, str]]]:
    """One CRM of each kind, served for the module: idempotency mode → (app, url)."""
    apps = {mode: create_app(settings) for mode, settings in CRMS.items()}
    servers = {mode: BackgroundServer(app).start() for mode, app in apps.items()}
    try:
        yield {mode: (apps[mode], servers[mode].url) for mode in apps}
    finally:
        for server in servers.values():
            server.stop()


def _onboard(
    crms: dict[str, tuple[RestSandboxApp, str]], idempotency: str, staging: Path
) -> Iterator[Agency]:
    """An agreement of its own for this test, saying what its CRM does with a second push."""
    app, url = crms[idempotency]
    suffix = uuid.uuid4().hex[:8]
    agency = Agency(idempotency, f"crm-{idempotency}-{suffix}", f"roads.lost_{suffix}", app)
    staged = write_roads_agreement(
        staging,
        url,
        agency.agreement_id,
        category=agency.category,
        timeout_seconds=1,
        idempotency=idempotency,
        max_attempts=6,
        backoff_seconds=0.1,
        backoff_max_seconds=0.2,
        breaker_failures=1000,
    )
    text = staged.read_text(encoding="utf-8")
    if idempotency == "field":  # the key travels in the body field the CRM keeps unique
        text = text.replace(
            "  ref: referral.reference\n",
            "  ref: referral.reference\n  request_key: referral.idempotency_key\n",
        )
    if idempotency == "lookup":
        text = text.replace("    check_path:", FIND + "    check_path:")
    path = _place(text, agency.agreement_id)
    try:
        yield agency
    finally:
        app.faults.reset()
        path.unlink()


def _place(text: str, agreement_id: str) -> Path:
    """Into the agreements the worker reads, whole: a worker reloading never sees half a file."""
    directory = Path(os.environ["SAMAD_AGREEMENTS_DIR"])
    partial = directory / f".{agreement_id}.partial"
    partial.write_text(text, encoding="utf-8")
    return partial.replace(directory / f"{agreement_id}.yaml")


@pytest.fixture(params=["header", "field", "lookup"])
def agency(
    request: pytest.FixtureRequest,
    crms: dict[str, tuple[RestSandboxApp, str]],
    tmp_path: Path,
) -> Iterator[Agency]:
    yield from _onboard(crms, request.param, tmp_path)


def _submit(api: httpx.Client, agency: Agency) -> str:
    answer = api.post("/v1/requests", json=citizen_request(category=agency.category))
    assert answer.status_code == 201, answer.text
    code: str = answer.json()["tracking_code"]
    return code


def _first_attempt(referral_id: int) -> tuple[str, str]:
    """How the referral's first push ended, and its error."""
    with session_scope() as session:
        attempt = session.scalars(
            select(DeliveryAttempt).where(
                DeliveryAttempt.referral_id == referral_id, DeliveryAttempt.number == 1
            )
        ).one()
        return attempt.outcome, attempt.error or ""


def _reasons(referral_id: int) -> list[str]:
    with session_scope() as session:
        events = session.scalars(select(Event).where(Event.referral_id == referral_id))
        return [str(e.data.get("reason", "")) for e in events]


@pytest.mark.parametrize("fault", LOST_AFTER_ACTING)
def test_a_lost_answer_ends_delivered_with_the_one_ticket_the_agency_opened(
    api: httpx.Client, agency: Agency, fault: FaultMode
) -> None:
    agency.app.faults.set(fault, count=1, delay_seconds=3, **PUSHES)
    before = agency.pushes()
    code = _submit(api, agency)
    wait_for(
        lambda: referral_of(code).state in ON_ITS_WAY,
        timeout=45,
        what=f"{code} delivered after a {fault} answer",
    )
    referral = referral_of(code)
    outcome, error = _first_attempt(referral.id)
    assert SEEN_AS[fault] in error, error

    assert_one_ticket_each(agency.app.tickets, [referral.reference])
    [ticket] = agency.app.tickets.tickets_for(referral.reference)
    assert referral.external_id == ticket.id
    if agency.idempotency == "lookup":
        # Found by its reference: the one push that opened it was all the agency got.
        assert (agency.pushes() - before, ticket.replays) == (1, 0)
        assert any(f"found at the agency as case {ticket.id}" in r for r in _reasons(referral.id))
        assert outcome == "unconfirmed"  # until it was found
    else:
        # Pushed again, and the second push was answered from the ticket the first opened.
        assert (agency.pushes() - before, ticket.replays) == (2, 1)
        assert outcome == "transient"
    alerts = {a["alert"] for a in alerts_of(referral.id)}
    assert "delivery_failed" not in alerts


@pytest.fixture
def keyed(crms: dict[str, tuple[RestSandboxApp, str]], tmp_path: Path) -> Iterator[Agency]:
    yield from _onboard(crms, "header", tmp_path)


def test_a_held_answer_is_given_up_at_the_agreements_timeout_and_the_push_made_again(
    api: httpx.Client, keyed: Agency
) -> None:
    """The timeout case is what it says: the hub gave up on an answer that was still on its way
    after the agreement's 1 s, and only then pushed again."""
    keyed.app.faults.set(FaultMode.CREATED_THEN_SLOW, count=1, delay_seconds=3, **PUSHES)
    code = _submit(api, keyed)
    wait_for(lambda: referral_of(code).state in ON_ITS_WAY, timeout=45, what=f"{code} delivered")
    first, second = keyed.app.arrivals.times(**PUSHES)[-2:]
    assert second - first >= 1.0
    assert "did not answer in time" in _first_attempt(referral_of(code).id)[1]
