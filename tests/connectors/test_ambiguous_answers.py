"""Which failures leave it unknown whether the agency acted: those are *ambiguous*, never
permanent, so the core can keep a referral unconfirmed instead of calling it failed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from zeep import exceptions as zeep_errors

from connectors.rest.connector import RestConnector
from connectors.soap import answers, transport
from connectors.soap.connector import SoapConnector
from connectors.soap.faults import agency_errors
from hub.core.errors import ConnectorError
from hub.core.settings import REPO_ROOT
from hub.plugins.connector import ConnectorContext
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from hub.sandbox.rest_faults import FaultMode
from hub.sandbox.server import BackgroundServer, free_port
from hub.sandbox.soap import ManualClock, SoapSandbox
from hub.testing import FrozenClock, ReferralFactory
from tests.connectors.test_rest_push import rest_settings
from tests.connectors.test_soap_connector import AGREEMENT, FIELDS, PASSWORD, USER, settings_for


@pytest.fixture
def crm() -> Iterator[tuple[RestSandboxApp, str]]:
    settings = RestSandboxSettings(step_seconds=60, honour_idempotency=False)
    with running_rest_sandbox(settings) as (app, server):
        yield app, server.url


def _push_error(connector: RestConnector | SoapConnector, make: ReferralFactory) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        connector.push(make())
    return caught.value


@pytest.mark.parametrize(
    "fault",
    [
        FaultMode.CREATED_THEN_SLOW,
        FaultMode.CREATED_THEN_500,
        FaultMode.CREATED_THEN_GARBAGE,
        FaultMode.CREATED_THEN_DROP,
    ],
)
def test_a_rest_answer_lost_after_the_ticket_was_opened_is_ambiguous(
    crm: tuple[RestSandboxApp, str], samad_connector_context, fault: FaultMode
) -> None:
    app, url = crm
    connector = RestConnector(rest_settings(url, timeout_seconds=0.5), samad_connector_context)
    app.faults.set(fault, delay_seconds=2)
    make = ReferralFactory(FrozenClock())
    error = _push_error(connector, make)
    connector.close()
    assert error.ambiguous and not error.permanent, error
    assert app.tickets.stats().tickets == 1  # the agency did open it


@pytest.mark.parametrize(
    ("fault", "ambiguous"),
    [(FaultMode.REJECT400, False), (FaultMode.ERROR500, True), (FaultMode.GARBAGE, True)],
)
def test_a_rest_refusal_is_sure_and_a_server_error_is_not(
    crm: tuple[RestSandboxApp, str], samad_connector_context, fault: FaultMode, ambiguous: bool
) -> None:
    app, url = crm
    connector = RestConnector(rest_settings(url), samad_connector_context)
    app.faults.set(fault)
    error = _push_error(connector, ReferralFactory(FrozenClock()))
    connector.close()
    assert error.ambiguous is ambiguous, error


def test_an_agency_that_cannot_be_reached_never_saw_the_push(samad_connector_context) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    connector = RestConnector(rest_settings(url), samad_connector_context)
    error = _push_error(connector, ReferralFactory(FrozenClock()))
    connector.close()
    assert not error.ambiguous and not error.permanent, error


def test_an_unreadable_soap_answer_after_the_call_went_through_is_ambiguous() -> None:
    with pytest.raises(ConnectorError) as caught, agency_errors("RegisterCase"):
        transport.last_answer.set(200)  # the agency answered the POST …
        raise zeep_errors.XMLParseError("Unexpected element 'Changed', expected 'TicketID'")
    assert caught.value.ambiguous and not caught.value.permanent
    assert "may have acted" in caught.value.message


def test_an_unreadable_soap_request_of_ours_is_refused_for_good() -> None:
    with pytest.raises(ConnectorError) as caught, agency_errors("RegisterCase"):
        raise zeep_errors.ValidationError("Missing element Subject")  # … it never went out
    assert caught.value.permanent and not caught.value.ambiguous


def test_a_soap_answer_without_its_case_id_is_unconfirmed_not_failed(tmp_path: Path) -> None:
    sandbox = SoapSandbox(step_seconds=60, clock=ManualClock(), users={USER: PASSWORD})
    context = ConnectorContext(
        AGREEMENT["id"],
        AGREEMENT["mapping"],
        AGREEMENT["status_map"],
        REPO_ROOT / "config",
        tmp_path,
    )
    with BackgroundServer(sandbox.app()) as server:
        settings = settings_for(server)
        settings["push"] = {**settings["push"], "external_id": "NoSuchElement"}
        connector = SoapConnector(settings, context)
        make = ReferralFactory(FrozenClock(), AGREEMENT["id"], FIELDS, reference_at=None)
        error = _push_error(connector, make)
    assert error.ambiguous and not error.permanent, error
    assert len(sandbox.registry.cases) == 1  # the power company opened the case


@pytest.mark.parametrize(
    ("answer", "found"),
    [("4711", "4711"), ({"TicketId": "4711"}, "4711"), (None, None)],
)
def test_a_one_element_soap_answer_is_read_whether_or_not_zeep_unwrapped_it(
    answer: object, found: object
) -> None:
    assert answers.read("TicketId", answers.addressed("TicketId", answer)) == found
