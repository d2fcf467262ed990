"""A SOAP case registry registers the case and then loses its answer — held past the hub's
timeout, a Server fault, a reset connection, an HTML page — and holds one case for the referral.

Where the registry keeps ``RequestKey`` unique (``delivery.idempotency: field``, the power
company's agreement) the hub registers again and the registry answers from the case it opened:
two registrations, one case. Where it opens a case for every registration (``none``) the
referral waits, unconfirmed, and is never registered again by itself. The real worker delivers;
registrations, cases and replays are counted at the registry.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.db.models import DeliveryAttempt
from hub.db.session import session_scope
from hub.sandbox.server import BackgroundServer
from hub.sandbox.soap.app import SoapSandbox
from tests.core.waiting import wait_for
from tests.support.agreements import SAMPLES
from tests.support.fixtures import POWER_PASSWORD
from tests.support.referrals import alerts_of, referral_of
from tests.support.requests import citizen_request
from tests.support.tickets import assert_one_ticket_each

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(120)]

# How the registry loses its answer, and what the hub made of it (its first attempt's error).
SEEN_AS = {
    "timeout": "did not answer RegisterCase in time",
    "server_error": "the agency's system failed on RegisterCase",
    "reset": "Connection reset by peer",
    "garbage": "an HTML page instead of a SOAP envelope",
}
SETTLED = ("delivered", "viewed", "in_progress", "forwarded", "resolved", "unconfirmed")


@dataclass
class Agency:
    idempotency: str
    agreement_id: str
    category: str
    sandbox: SoapSandbox

    def registrations(self) -> int:
        return self.sandbox.calls["RegisterCase"]


@pytest.fixture(scope="module")
def registries(database: str, broker: str) -> Iterator[dict[str, tuple[SoapSandbox, str]]]:
    """A registry that keeps RequestKey unique, and one that opens a case for every call."""
    users = {"samad-111": POWER_PASSWORD}  # the sample agreement's WS-Security user
    sandboxes = {
        "field": SoapSandbox(step_seconds=0.4, users=users),
        "none": SoapSandbox(step_seconds=0.4, users=users, honour_request_key=False),
    }
    servers = {mode: BackgroundServer(s.app()).start() for mode, s in sandboxes.items()}
    try:
        yield {mode: (sandboxes[mode], servers[mode].url) for mode in sandboxes}
    finally:
        for server in servers.values():
            server.stop()


def _agreement(agency: Agency, url: str) -> str:
    """The power company's agreement, pointed at this registry, with short timeouts."""
    text = (SAMPLES / "golestan-power.yaml").read_text(encoding="utf-8")
    text = text.replace("id: golestan-power", f"id: {agency.agreement_id}")
    text = text.replace("http://127.0.0.1:8732/?wsdl", f"{url}/?wsdl")
    text = text.replace('categories: ["power.*"]', f'categories: ["{agency.category}"]')
    text = text.replace("operation: 15", "operation: 1")
    text = re.sub(r"interval_seconds: \d+", "interval_seconds: 1", text)
    delivery = (
        f"delivery:\n  idempotency: {agency.idempotency}\n  max_attempts: 6\n"
        "  backoff_seconds: 0.1\n  backoff_max_seconds: 0.2\n  breaker_failures: 1000\n"
    )
    return re.sub(r"delivery:\n(  .*\n)+", delivery, text)


@pytest.fixture(params=["field", "none"])
def agency(
    request: pytest.FixtureRequest, registries: dict[str, tuple[SoapSandbox, str]]
) -> Iterator[Agency]:
    sandbox, url = registries[request.param]
    suffix = uuid.uuid4().hex[:8]
    agency = Agency(request.param, f"power-{request.param}-{suffix}", f"power.f_{suffix}", sandbox)
    directory = Path(os.environ["SAMAD_AGREEMENTS_DIR"])
    partial = directory / f".{agency.agreement_id}.partial"
    partial.write_text(_agreement(agency, url), encoding="utf-8")
    path = partial.replace(directory / f"{agency.agreement_id}.yaml")  # never half a file
    try:
        yield agency
    finally:
        sandbox.controls.reset()
        path.unlink()


def _submit(api: httpx.Client, agency: Agency) -> str:
    request = citizen_request(category=agency.category)
    request.update(subject="قطعی برق", description="برق کوچه از دیشب قطع است.")
    answer = api.post("/v1/requests", json=request)
    assert answer.status_code == 201, answer.text
    code: str = answer.json()["tracking_code"]
    return code


def _first_attempt(referral_id: int) -> tuple[str, str]:
    with session_scope() as session:
        attempt = session.scalars(
            select(DeliveryAttempt).where(
                DeliveryAttempt.referral_id == referral_id, DeliveryAttempt.number == 1
            )
        ).one()
        return attempt.outcome, attempt.error or ""


@pytest.mark.parametrize("lost", list(SEEN_AS))
def test_a_registration_whose_answer_was_lost_leaves_one_case_at_the_registry(
    api: httpx.Client, agency: Agency, lost: str
) -> None:
    agency.sandbox.controls.update(
        {"after_registering": lost, "after_registering_times": 1, "hold_seconds": 3}
    )
    before = agency.registrations()
    code = _submit(api, agency)
    wait_for(lambda: referral_of(code).state in SETTLED, timeout=45, what=f"{code} settled")
    referral = referral_of(code)
    outcome, error = _first_attempt(referral.id)
    assert SEEN_AS[lost] in error, error

    assert_one_ticket_each(agency.sandbox.registry, [referral.reference])
    [case] = agency.sandbox.registry.tickets_for(referral.reference)
    alerts = {a["alert"] for a in alerts_of(referral.id)}
    if agency.idempotency == "field":
        assert referral.state != "unconfirmed" and referral.external_id == case.number
        # Registered again, and answered from the case the first registration opened.
        assert (agency.registrations() - before, case.replays) == (2, 1)
        assert outcome == "transient" and "delivery_unconfirmed" not in alerts
    else:
        assert referral.state == "unconfirmed", referral.state
        assert referral.next_attempt_at is None  # nothing will register it again by itself
        assert (agency.registrations() - before, case.replays) == (1, 0)
        assert outcome == "unconfirmed" and "delivery_unconfirmed" in alerts
    assert "delivery_failed" not in alerts
