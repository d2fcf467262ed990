"""Dead letters: a delivery that finally failed is kept whole, listed, shown and sent again.

An agency of its own answers 500 to every push until the test switches it back on; the real
worker gives up after three attempts. Then ``samad-hub referrals failed|show|resend`` (the CLI, as
an admin runs it, in its own process) and the admin API's resend must show what failed and why,
and a resend must reach the agency — exactly one ticket per referral, however often it is asked.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.db.models import Event, Referral, Request
from hub.db.session import session_scope
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, create_app
from hub.sandbox.server import BackgroundServer
from tests.core.waiting import wait_for
from tests.faults.support import tickets_for, write_roads_agreement
from tests.support.cli import samad_hub
from tests.support.requests import citizen_request
from tests.support.tickets import assert_one_ticket_each

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(600)]
ATTEMPTS = 3
DELIVERED = ("delivered", "viewed", "in_progress", "forwarded", "resolved")


@dataclass
class FailingAgency:
    """An agreement of its own (requests of ``category`` go only to it), down until ``back()``."""

    agreement_id: str
    category: str
    app: RestSandboxApp

    def back(self) -> None:
        self.app.faults.reset()


@pytest.fixture(scope="module")
def sandbox(database: str, broker: str) -> Iterator[tuple[RestSandboxApp, BackgroundServer]]:
    app = create_app(RestSandboxSettings(step_seconds=0.3, ticket_prefix="DLT"))
    with BackgroundServer(app) as server:
        yield app, server


def _agency(sandbox: tuple[RestSandboxApp, BackgroundServer]) -> Iterator[FailingAgency]:
    app, server = sandbox
    suffix = uuid.uuid4().hex[:8]
    agency = FailingAgency(f"roads-dl-{suffix}", f"roads.dl_{suffix}", app)
    path = write_roads_agreement(
        Path(os.environ["SAMAD_AGREEMENTS_DIR"]),
        server.url,
        agency.agreement_id,
        category=agency.category,
        max_attempts=ATTEMPTS,
        backoff_seconds=0.1,
        backoff_max_seconds=0.2,
        breaker_failures=1000,  # every push is an attempt: the breaker is not what is tested here
    )
    app.faults.set("error500")  # until back()
    try:
        yield agency
    finally:
        app.faults.reset()
        path.unlink()


@pytest.fixture
def agency(sandbox: tuple[RestSandboxApp, BackgroundServer]) -> Iterator[FailingAgency]:
    yield from _agency(sandbox)


@pytest.fixture
def other_agency(sandbox: tuple[RestSandboxApp, BackgroundServer]) -> Iterator[FailingAgency]:
    yield from _agency(sandbox)


def _failed(api: httpx.Client, agency: FailingAgency, count: int) -> list[Referral]:
    """Submit ``count`` requests to ``agency``; their referrals once delivery_failed."""
    codes = [
        api.post(
            "/v1/requests", json=citizen_request(category=agency.category, subject="چاله در جاده")
        ).json()["tracking_code"]
        for _ in range(count)
    ]
    for code in codes:
        wait_for(
            lambda code=code: (
                api.get(f"/v1/requests/{code}").json()["referrals"][0]["state"] == "delivery_failed"
            ),
            timeout=60,
            what=f"{code} to fail",
        )
    with session_scope() as session:
        rows = session.scalars(
            select(Referral)
            .join(Request, Request.id == Referral.request_id)
            .where(Request.tracking_code.in_(codes))
            .order_by(Referral.id)
        ).all()
        session.expunge_all()
    return list(rows)


def _state(referral_id: int) -> str:
    with session_scope() as session:
        return session.get_one(Referral, referral_id).state


def _delivered(referral_id: int) -> bool:
    return _state(referral_id) in DELIVERED


def _reasons(referral_id: int) -> list[str]:
    with session_scope() as session:
        events = session.scalars(
            select(Event)
            .where(Event.referral_id == referral_id, Event.kind == "referral.state_changed")
            .order_by(Event.id)
        ).all()
        return [
            f"{e.from_state}→{e.to_state} {e.actor}: {e.data.get('reason', '')}" for e in events
        ]


def test_referrals_failed_lists_each_dead_letter_with_its_attempts_and_last_error(
    api: httpx.Client, agency: FailingAgency
) -> None:
    failed = _failed(api, agency, 2)

    listed = samad_hub("referrals", "failed", "--agency", agency.agreement_id, "--json")
    table = samad_hub("referrals", "failed", "--agency", agency.agreement_id)

    assert listed.returncode == 0, listed.stderr
    letters = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(letter["referral_id"] for letter in letters) == [r.id for r in failed]
    for letter in letters:
        assert letter["agreement_id"] == agency.agreement_id
        assert letter["attempts"] == ATTEMPTS
        assert letter["last_error"].startswith(f"gave up after {ATTEMPTS} attempts: ")
        assert "500" in letter["last_error"]
        assert letter["state"] == "delivery_failed"
        assert letter["payload"]["fields"]["ref"] == letter["reference"]  # as it was sent
        assert [a["number"] for a in letter["attempt_log"]] == list(range(1, ATTEMPTS + 1))
    assert table.returncode == 0, table.stderr
    assert "Failed deliveries (2)" in table.stdout
    for referral in failed:
        assert referral.reference in table.stdout
    assert table.stdout.count(f"gave up after {ATTEMPTS} attempts") == 2


def test_referrals_show_gives_the_payload_as_sent_and_every_attempt(
    api: httpx.Client, agency: FailingAgency
) -> None:
    (referral,) = _failed(api, agency, 1)

    shown = samad_hub("referrals", "show", str(referral.id))

    assert shown.returncode == 0, shown.stderr
    letter = json.loads(shown.stdout)
    assert letter["reference"] == referral.reference
    assert letter["payload"]["fields"]["ref"] == referral.reference
    assert letter["payload"]["fields"]["title"] == "چاله در جاده"
    assert letter["payload"]["request"]["subject"] == "چاله در جاده"
    assert [a["number"] for a in letter["attempt_log"]] == list(range(1, ATTEMPTS + 1))
    assert {a["outcome"] for a in letter["attempt_log"]} == {"transient"}
    errors = [a["error"] for a in letter["attempt_log"]]
    assert all("500" in error for error in errors), errors
    assert letter["last_error"].startswith(f"gave up after {ATTEMPTS} attempts")


def test_referrals_show_refuses_a_referral_that_did_not_fail(api: httpx.Client) -> None:
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    with session_scope() as session:
        referral_id = session.scalar(
            select(Referral.id)
            .join(Request, Request.id == Referral.request_id)
            .where(Request.tracking_code == code)
        )

    shown = samad_hub("referrals", "show", str(referral_id))

    assert shown.returncode == 1
    assert f"no failed or unconfirmed referral {referral_id}" in shown.stdout


def test_referrals_resend_id_delivers_it_once_and_a_second_resend_changes_nothing(
    api: httpx.Client, agency: FailingAgency
) -> None:
    (referral,) = _failed(api, agency, 1)
    assert tickets_for(agency.app, referral.reference) == []
    agency.back()

    resent = samad_hub("referrals", "resend", str(referral.id))
    wait_for(lambda: _delivered(referral.id), timeout=30, what="the resent referral delivered")
    again = samad_hub("referrals", "resend", str(referral.id))

    assert resent.returncode == 0, resent.stdout + resent.stderr
    assert "1 referral(s) back in the delivery queue" in resent.stdout
    assert again.returncode == 1
    assert "neither failed nor unconfirmed" in again.stdout
    assert_one_ticket_each(agency.app.tickets, [referral.reference])
    reasons = _reasons(referral.id)
    assert any(r.startswith("delivery_failed→pending cli: resent by cli after 3") for r in reasons)
    with session_scope() as session:
        row = session.get_one(Referral, referral.id)
        assert row.attempts == 1 and row.last_error is None and row.external_id is not None


def test_referrals_resend_agency_sends_every_failed_referral_of_that_agency_and_no_other(
    api: httpx.Client, agency: FailingAgency, other_agency: FailingAgency
) -> None:
    mine = _failed(api, agency, 3)
    others = _failed(api, other_agency, 1)
    agency.back()  # one sandbox serves both: the other agency is back too, but not resent

    resent = samad_hub("referrals", "resend", "--agency", agency.agreement_id)
    for referral in mine:
        wait_for(lambda r=referral: _delivered(r.id), timeout=30, what=f"{referral.reference}")

    assert resent.returncode == 0, resent.stdout + resent.stderr
    assert "3 referral(s) back in the delivery queue" in resent.stdout
    assert_one_ticket_each(agency.app.tickets, [referral.reference for referral in mine])
    assert _state(others[0].id) == "delivery_failed"
    assert tickets_for(agency.app, others[0].reference) == []


def test_the_admin_api_lists_and_resends_a_dead_letter_once(
    api: httpx.Client, api_as: Callable[..., httpx.Client], agency: FailingAgency
) -> None:
    admin = api_as("admin")
    first, second = _failed(api, agency, 2)
    listed = admin.get("/v1/admin/failed", params={"agency": agency.agreement_id}).json()
    one = admin.get(f"/v1/admin/failed/{first.id}").json()
    agency.back()

    answer = admin.post(f"/v1/admin/referrals/{first.id}/resend")
    again = admin.post(f"/v1/admin/referrals/{first.id}/resend")
    wait_for(lambda: _delivered(first.id), timeout=30, what="the resent referral delivered")
    by_agency = admin.post("/v1/admin/resend", params={"agency": agency.agreement_id})
    wait_for(lambda: _delivered(second.id), timeout=30, what="the agency's referral delivered")

    assert sorted(letter["referral_id"] for letter in listed) == [first.id, second.id]
    assert one["attempts"] == ATTEMPTS and len(one["attempt_log"]) == ATTEMPTS
    assert answer.status_code == 200 and answer.json() == {"resent": [first.id]}
    assert again.status_code == 404
    assert by_agency.json() == {"resent": [second.id]}
    assert_one_ticket_each(agency.app.tickets, [first.reference, second.reference])
    assert any("resent by admin-api" in r for r in _reasons(first.id))


def test_a_supervisor_may_list_nothing_and_resend_nothing(
    api_as: Callable[..., httpx.Client],
) -> None:
    supervisor = api_as("supervisor")

    assert supervisor.get("/v1/admin/failed").status_code == 403
    assert supervisor.post("/v1/admin/referrals/1/resend").status_code == 403
