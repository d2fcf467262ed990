"""The power company's SOAP TicketService, onboarded from its WSDL: whatever CreateTicket does
after opening a ticket, the company holds exactly one ticket per referral and the hub never calls
one failed that the company has.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hub.sandbox.server import BackgroundServer
from tests.foreign.conftest import POWER_PASSWORD
from tests.foreign.gas_crm import Fault
from tests.foreign.onboarding import (
    DELIVERED,
    QUICK_DELIVERY,
    alerts,
    completed,
    draft,
    put_in_place,
    samad_hub,
    settled,
    states_passed,
    submit,
)
from tests.foreign.ticket_service import TEST_TICKET, TicketService

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(600)]
AFTER_ACTING = [Fault.CREATED_THEN_TIMEOUT, Fault.CREATED_THEN_500, Fault.CREATED_THEN_GARBAGE]
STATES = {"NEW": "delivered", "ASSIGNED": "viewed", "ON_SITE": "in_progress", "CLOSED": "resolved"}
USER = "samad-111"


class Onboarded:
    def __init__(self, service: TicketService, agreement_id: str, category: str) -> None:
        self.service, self.agreement_id, self.category = service, agreement_id, category


@pytest.fixture(scope="module")
def tickets(database: str, broker: str) -> Iterator[tuple[TicketService, BackgroundServer]]:
    service = TicketService(USER, POWER_PASSWORD, step_seconds=0.5)
    with BackgroundServer(service.app()) as server:
        yield service, server


@pytest.fixture(scope="module")
def drafted(
    tickets: tuple[TicketService, BackgroundServer], tmp_path_factory: pytest.TempPathFactory
) -> str:
    """The draft, once: ``samad-hub agreements draft --wsdl <the service's ?wsdl>``."""
    _, server = tickets
    file = tmp_path_factory.mktemp("drafts") / "ticket-service.yaml"
    return draft("--wsdl", f"{server.url}/TicketService?wsdl", file)


def _onboard(
    tickets: tuple[TicketService, BackgroundServer], text: str, api: httpx.Client, idempotency: str
) -> Iterator[Onboarded]:
    service, _ = tickets
    suffix = uuid.uuid4().hex[:8]
    agency = Onboarded(service, f"power-{suffix}", f"foreign.power_{suffix}")
    document = completed(
        text,
        agency.agreement_id,
        {
            "agency.name_fa": "شرکت توزیع نیروی برق",
            "agency.name_en": "Power Distribution Company",
            "routes.0.categories.0": agency.category,
            "mapping.Region": "location.county",
            "status_map": STATES,
            "polling": {"interval_seconds": 1, "batch_size": 50},
            "delivery": {"idempotency": idempotency, **QUICK_DELIVERY},
        },
    )
    settings: dict[str, Any] = document["connector"]["settings"]
    # What the company told the admin, which a WSDL does not say: basic auth, a test ticket.
    settings["auth"] = {"basic": {"username": USER, "password": "${env:SAMAD_TICKET_PASSWORD}"}}
    settings["operations"]["check"] = "GetTicket"
    settings["check"] = {"arguments": {"TicketId": TEST_TICKET}}
    settings["timeouts"] = {"operation": 1, "wsdl": 30}  # its slow answer is 3 s
    if idempotency == "lookup":
        settings["find"] = {"operation": "FindTickets", "by": {"ExternalRef": "reference"}}
        settings["find"]["ids"] = "@"
    path = put_in_place(document, api)
    try:
        yield agency
    finally:
        service.faults.clear()
        path.unlink()


@pytest.fixture
def no_dedupe(
    tickets: tuple[TicketService, BackgroundServer], drafted: str, api: httpx.Client
) -> Iterator[Onboarded]:
    yield from _onboard(tickets, drafted, api, "none")


@pytest.fixture
def looks_up(
    tickets: tuple[TicketService, BackgroundServer], drafted: str, api: httpx.Client
) -> Iterator[Onboarded]:
    yield from _onboard(tickets, drafted, api, "lookup")


def test_the_draft_takes_the_one_element_answer_as_the_ticket_id(drafted: str) -> None:
    assert "push: CreateTicket" in drafted and "poll: GetTicket" in drafted
    assert "external_id: TicketId  # the one element of CreateTicket's answer" in drafted
    assert "status: State" in drafted and "reference_field: ExternalRef" in drafted
    assert "idempotency: none" in drafted


@pytest.mark.parametrize("fault", AFTER_ACTING, ids=lambda f: f.value)
def test_an_answer_lost_after_the_ticket_was_opened_leaves_one_ticket_and_unconfirmed(
    api: httpx.Client, no_dedupe: Onboarded, fault: Fault
) -> None:
    no_dedupe.service.faults.append(fault)
    code = submit(api, no_dedupe.category)
    referral = settled(api, code, ("unconfirmed", "delivery_failed"), "settled")
    assert referral.state == "unconfirmed"
    assert len(no_dedupe.service.for_reference(referral.reference)) == 1
    time.sleep(2)
    assert len(no_dedupe.service.for_reference(referral.reference)) == 1
    assert "delivery_failed" not in states_passed(referral.id)
    assert "delivery_failed" not in alerts(referral.id)


@pytest.mark.parametrize("fault", AFTER_ACTING, ids=lambda f: f.value)
def test_where_tickets_can_be_looked_up_the_lost_answer_ends_delivered_with_the_one_found(
    api: httpx.Client, looks_up: Onboarded, fault: Fault
) -> None:
    looks_up.service.faults.append(fault)
    code = submit(api, looks_up.category)
    referral = settled(api, code, (*DELIVERED, "delivery_failed"), "found by its reference")
    assert looks_up.service.for_reference(referral.reference) == [referral.external_id]
    assert "delivery_failed" not in states_passed(referral.id)


def test_a_503_before_anything_was_opened_is_retried_to_one_ticket(
    api: httpx.Client, no_dedupe: Onboarded
) -> None:
    no_dedupe.service.faults.extend([Fault.UNAVAILABLE, Fault.UNAVAILABLE])
    code = submit(api, no_dedupe.category)
    referral = settled(api, code, (*DELIVERED, "delivery_failed", "unconfirmed"), "retried")
    assert referral.state in DELIVERED
    assert no_dedupe.service.for_reference(referral.reference) == [referral.external_id]
    assert "unconfirmed" not in states_passed(referral.id)


def test_check_takes_the_right_password_and_names_the_credential_when_it_is_wrong(
    no_dedupe: Onboarded,
) -> None:
    right = samad_hub("agreements", "check", no_dedupe.agreement_id)
    assert right.returncode == 0, right.stdout + right.stderr
    wrong = samad_hub(
        "agreements", "check", no_dedupe.agreement_id, env={"SAMAD_TICKET_PASSWORD": "guessed"}
    )
    said = " ".join((wrong.stdout + wrong.stderr).split())
    assert wrong.returncode == 1, said
    assert "refused our credentials" in said and "connector.settings.auth" in said
