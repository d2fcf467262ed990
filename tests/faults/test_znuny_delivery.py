"""A Znuny helpdesk onboarded from the preset, delivered to by the real worker.

Znuny opens a ticket for every TicketCreate: it cannot de-duplicate. Its faults here act *after*
the ticket is opened (the answer too slow, or garbage), so a blind retry would open a second one.
With ``delivery.idempotency: none`` the referral waits ``unconfirmed`` for a person; with the
preset's ``lookup`` the hub asks TicketSearch by our reference and takes the ticket it finds.
The tickets are counted at the agency.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from sqlalchemy import select

from hub.db.models import AgencyUpdate, Event
from hub.db.session import session_scope
from hub.sandbox.server import BackgroundServer
from hub.sandbox.znuny import ZnunySandbox
from tests.core.waiting import wait_for
from tests.support.referrals import alerts_of, referral_of
from tests.support.requests import citizen_request
from tests.support.sweeps import wait_for_sweeps

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(600)]

USER, PASSWORD = "samad-111", "znuny-test-password"
# The worker inherits this process's environment when it starts, after collection: the
# credentials the agreements name are put there now.
os.environ.setdefault("SAMAD_TEST_ZNUNY_USER", USER)
os.environ.setdefault("SAMAD_TEST_ZNUNY_PASSWORD", PASSWORD)


@dataclass
class Agency:
    agreement_id: str
    category: str
    sandbox: ZnunySandbox


@pytest.fixture(scope="module")
def helpdesk(database: str, broker: str) -> Iterator[tuple[ZnunySandbox, BackgroundServer]]:
    sandbox = ZnunySandbox(users={USER: PASSWORD})
    with BackgroundServer(sandbox.app()) as server:
        yield sandbox, server


def _agreement(agreement_id: str, category: str, endpoint: str, idempotency: str) -> str:
    """The admin's dozen lines, and the test's short timeouts and backoffs."""
    document: dict[str, Any] = {
        "id": agreement_id,
        "agency": {"name_fa": "شرکت مخابرات استان گلستان", "name_en": "Golestan Telecom"},
        "routes": [{"categories": [category]}],
        "connector": {
            "type": "soap",
            "preset": "znuny",
            "settings": {
                "endpoint": endpoint,
                "body_auth": {
                    "UserLogin": "${env:SAMAD_TEST_ZNUNY_USER}",
                    "Password": "${env:SAMAD_TEST_ZNUNY_PASSWORD}",
                },
                "timeouts": {"operation": 1},
            },
        },
        "mapping": {"Ticket.Queue": {"const": "Samad::111"}},
        "polling": {"interval_seconds": 1},
        "delivery": {
            "idempotency": idempotency,
            "max_attempts": 6,
            "backoff_seconds": 0.1,
            "backoff_max_seconds": 0.2,
            "breaker_failures": 1000,
        },
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def _onboard(helpdesk: tuple[ZnunySandbox, BackgroundServer], idempotency: str) -> Iterator[Agency]:
    sandbox, server = helpdesk
    suffix = uuid.uuid4().hex[:8]
    agency = Agency(f"telecom-{suffix}", f"telecom.z_{suffix}", sandbox)
    directory = Path(os.environ["SAMAD_AGREEMENTS_DIR"])
    path = directory / f"{agency.agreement_id}.yaml"
    partial = directory / f".{agency.agreement_id}.partial"
    text = _agreement(
        agency.agreement_id, agency.category, sandbox.endpoint(server.url), idempotency
    )
    partial.write_text(text, encoding="utf-8")
    partial.replace(path)  # a worker reloading never sees half a file
    try:
        yield agency
    finally:
        sandbox.faults.reset()
        path.unlink()


@pytest.fixture
def no_dedupe(helpdesk: tuple[ZnunySandbox, BackgroundServer]) -> Iterator[Agency]:
    yield from _onboard(helpdesk, "none")


@pytest.fixture
def looks_up(helpdesk: tuple[ZnunySandbox, BackgroundServer]) -> Iterator[Agency]:
    yield from _onboard(helpdesk, "lookup")  # the preset's own


def _submit(api: httpx.Client, agency: Agency) -> str:
    request = citizen_request(category=agency.category)
    request.update(subject="قطعی اینترنت", description="اینترنت ADSL منزل از صبح قطع است.")
    answer = api.post("/v1/requests", json=request)
    assert answer.status_code == 201, answer.text
    code: str = answer.json()["tracking_code"]
    return code


def _state(code: str) -> str:
    return referral_of(code).state


@pytest.mark.parametrize(
    ("fault", "garbage"),
    [("created_then_timeout", "html"), ("created_then_garbage", "html"),
     ("created_then_garbage", "truncated")],
)  # fmt: skip
def test_a_ticket_opened_before_the_answer_was_lost_stays_one_ticket_and_the_referral_unconfirmed(
    api: httpx.Client, no_dedupe: Agency, fault: str, garbage: str
) -> None:
    no_dedupe.sandbox.faults.set(fault, garbage=garbage, delay_seconds=3)
    code = _submit(api, no_dedupe)
    wait_for(lambda: _state(code) == "unconfirmed", timeout=60, what=f"{code} unconfirmed")
    referral = referral_of(code)
    assert len(no_dedupe.sandbox.tickets_for(referral.reference)) == 1  # Znuny has it
    wait_for_sweeps("hub.dispatch_due", 2)  # the dispatch sweep ran twice: nothing pushed it again
    assert len(no_dedupe.sandbox.tickets_for(referral.reference)) == 1
    assert _state(code) == "unconfirmed"
    alerts = [a["alert"] for a in alerts_of(referral.id)]
    assert "delivery_unconfirmed" in alerts and "delivery_failed" not in alerts


def test_a_ticket_opened_before_the_answer_timed_out_is_found_by_ticket_search_and_delivered(
    api: httpx.Client, looks_up: Agency
) -> None:
    looks_up.sandbox.faults.set("created_then_timeout", delay_seconds=3)
    code = _submit(api, looks_up)
    wait_for(
        lambda: _state(code) in ("delivered", "in_progress", "resolved"),
        timeout=60,
        what="found at the agency by its reference",
    )
    referral = referral_of(code)
    [ticket] = looks_up.sandbox.tickets_for(referral.reference)
    assert referral.external_id == str(ticket.ticket_id)
    assert (referral.receipt or {})["case_number"] == ticket.number
    shown = api.get(f"/v1/requests/{code}").json()["referrals"][0]
    assert shown["case_number"] == ticket.number  # what the agency's clerks call it
    with session_scope() as session:
        reasons = [
            e.data.get("reason", "")
            for e in session.scalars(select(Event).where(Event.referral_id == referral.id))
        ]
    assert any(f"found at the agency as case {ticket.ticket_id}" in r for r in reasons), reasons
    assert looks_up.sandbox.calls["TicketSearch"] >= 1


def test_the_clerks_answer_comes_back_resolved_with_its_text_and_its_time_read_in_tehran(
    api: httpx.Client, looks_up: Agency
) -> None:
    code = _submit(api, looks_up)
    wait_for(lambda: referral_of(code).external_id, timeout=60, what="delivered")
    referral = referral_of(code)
    assert (referral.receipt or {})["case_number"].startswith(datetime.now(UTC).strftime("%Y"))
    answered_at = datetime.now(UTC).replace(microsecond=0)
    text = "مودم مشترک تعویض شد و اینترنت برقرار است."
    looks_up.sandbox.answer(int(referral.external_id or 0), "closed successful", text)
    wait_for(lambda: _state(code) == "resolved", timeout=60, what="resolved")
    assert api.get(f"/v1/requests/{code}").json()["result"] == text
    with session_scope() as session:
        stored = session.scalars(
            select(AgencyUpdate).where(
                AgencyUpdate.referral_id == referral.id,
                AgencyUpdate.agency_status == "closed successful",
            )
        ).one()
        # Znuny wrote Tehran's wall-clock time without a zone; the hub stored the moment.
        assert stored.occurred_at is not None
        assert abs((stored.occurred_at - answered_at).total_seconds()) <= 2
