"""How the REST connector reports an agency system that misbehaves: transient or permanent."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.rest.connector import RestConnector
from connectors.rest.errors import raise_for_answer
from hub.core.errors import ConnectorError, ConnectorTimeout
from hub.plugins.connector import ConnectorContext, OutgoingReferral, Receipt
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from hub.sandbox.rest_faults import FaultMode
from hub.sandbox.server import free_port

REFERRAL = OutgoingReferral(
    referral_id=1,
    reference="R-1405-0000001-1",
    tracking_code="1405000011",
    idempotency_key="golestan-water:1",
    agreement_id="golestan-water",
    fields={"title": "ترکیدگی لوله", "description": "لوله اصلی خیابان ترکیده است"},
    request={},
)


def fault_settings(base_url: str, **overrides: Any) -> dict[str, Any]:
    """Settings for a quick-to-time-out connector; an override of None leaves that key out."""
    settings = {
        "base_url": base_url,
        "timeout_seconds": 0.5,
        "push": {"path": "/api/v1/tickets", "external_id": "ticket.id"},
        "poll": {
            "path": "/api/v1/tickets/{external_id}",
            "batch_path": "/api/v1/tickets/batch-status",
            "external_id": "ticket.id",
            "status": "ticket.status",
        },
        "check_path": "/api/v1/health",
        **overrides,
    }
    return {key: value for key, value in settings.items() if value is not None}


@pytest.fixture
def connector_for(tmp_path: Path) -> Iterator[Callable[..., RestConnector]]:
    """Connectors for the test, each closed at its end even when the test fails."""
    made: list[RestConnector] = []

    def make(base_url: str, **overrides: Any) -> RestConnector:
        settings = fault_settings(base_url, **overrides)
        made.append(RestConnector(settings, ConnectorContext("gw", {}, {}, tmp_path, tmp_path)))
        return made[-1]

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def sandbox(connector_for) -> Iterator[tuple[RestSandboxApp, RestConnector]]:
    with running_rest_sandbox(RestSandboxSettings(step_seconds=60)) as (app, server):
        yield app, connector_for(server.url)


@pytest.mark.parametrize(
    ("mode", "permanent", "says"),
    [
        (FaultMode.ERROR500, False, "HTTP 500"),
        (FaultMode.REJECT400, True, "HTTP 400"),
        (FaultMode.GARBAGE, False, "not with JSON"),
        (FaultMode.DROP, False, "RemoteProtocolError"),
    ],
)
def test_each_fault_of_a_push_maps_to_the_right_kind_of_error(
    sandbox, mode: FaultMode, permanent: bool, says: str
) -> None:
    app, connector = sandbox
    app.faults.set(mode, count=1)
    with pytest.raises(ConnectorError) as error:
        connector.push(REFERRAL)
    assert error.value.permanent is permanent
    assert says in error.value.message
    assert "/api/v1/tickets" in error.value.message
    # The fault was for one request: the retry the core would make goes through.
    assert connector.push(REFERRAL).external_id


def test_a_garbage_answer_is_kept_in_the_detail_for_the_admin(sandbox) -> None:
    app, connector = sandbox
    app.faults.set(FaultMode.GARBAGE, count=1)
    with pytest.raises(ConnectorError) as error:
        connector.push(REFERRAL)
    assert "502 Bad Gateway" in error.value.detail["body"]
    assert error.value.detail["status"] == 200


def test_an_answer_without_the_external_id_is_transient(sandbox, connector_for) -> None:
    _, connector = sandbox
    url = connector.rest.base_url
    wrong = connector_for(url, push={"path": "/api/v1/tickets", "external_id": "id"})
    with pytest.raises(ConnectorError) as error:
        wrong.push(REFERRAL)
    assert not error.value.permanent
    assert "without the case id (id)" in error.value.message


def test_a_slow_agency_times_out_quickly_as_a_transient_error(sandbox) -> None:
    app, connector = sandbox
    app.faults.set(FaultMode.SLOW, delay_seconds=5)
    started = time.monotonic()
    with pytest.raises(ConnectorTimeout) as error:
        connector.push(REFERRAL)
    assert time.monotonic() - started < 2
    assert not error.value.permanent
    assert "did not answer in time" in error.value.message
    app.faults.reset()


def test_a_slow_agency_within_the_timeout_is_waited_for(sandbox, connector_for) -> None:
    app, connector = sandbox
    # Well within: 0.1 s late against 0.5 s timed out once when the suite ran on a busy machine.
    patient = connector_for(connector.rest.base_url, timeout_seconds=3)
    app.faults.set(FaultMode.SLOW, count=1, delay_seconds=0.1)
    started = time.monotonic()
    assert patient.push(REFERRAL).external_id
    assert time.monotonic() - started >= 0.1  # it did wait for the slow answer


def test_a_poll_during_an_outage_is_transient(sandbox) -> None:
    app, connector = sandbox
    receipt = connector.push(REFERRAL)
    app.faults.set(FaultMode.ERROR500)
    with pytest.raises(ConnectorError) as error:
        connector.poll([receipt])
    assert not error.value.permanent
    app.faults.reset()
    assert connector.poll([receipt])[0].status == "NEW"


def test_a_poll_answer_without_a_list_of_cases_is_transient(sandbox, connector_for) -> None:
    _, connector = sandbox
    receipt = connector.push(REFERRAL)
    poll = {**connector.settings["poll"], "items": "tickets"}
    wrong = connector_for(connector.rest.base_url, poll=poll)
    with pytest.raises(ConnectorError, match="a list of cases"):
        wrong.poll([receipt])


def test_an_agency_nobody_listens_for_is_transient_and_named(connector_for) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    connector = connector_for(url)
    with pytest.raises(ConnectorError) as error:
        connector.poll([Receipt(1, "WTR-1")])
    assert not error.value.permanent
    assert url in error.value.message


def test_check_reports_a_healthy_agency_and_a_failing_one(sandbox) -> None:
    app, connector = sandbox
    health = connector.check()
    assert health.ok
    assert "/api/v1/health answered HTTP 200" in health.detail
    app.faults.set(FaultMode.ERROR500, count=1)
    failing = connector.check()
    assert not failing.ok
    assert "HTTP 500" in failing.problems[0]


def test_check_without_a_health_path_only_needs_the_server_to_answer(sandbox, connector_for):
    app, connector = sandbox
    root_only = connector_for(connector.rest.base_url, check_path=None)
    assert root_only.check().ok  # the root answers 404, but it answers
    app.faults.set(FaultMode.ERROR500, count=1)
    assert not root_only.check().ok


def test_check_of_an_agency_that_refuses_connections_is_not_ok(connector_for) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    connector = connector_for(url)
    health = connector.check()
    assert not health.ok
    assert url in health.detail


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(408, False), (429, False), (502, False), (503, False), (401, True), (404, True), (409, True)],
)
def test_http_statuses_the_sandbox_cannot_show_are_classified_too(status, permanent) -> None:
    request = httpx.Request("POST", "http://127.0.0.1:8731/api/v1/tickets")
    response = httpx.Response(status, request=request, text="x" * 5000)
    with pytest.raises(ConnectorError) as error:
        raise_for_answer(response)
    assert error.value.permanent is permanent
    assert f"POST http://127.0.0.1:8731/api/v1/tickets answered HTTP {status}" in str(error.value)
    assert len(error.value.detail["body"]) == 2048
