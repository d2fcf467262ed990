"""How the REST connector reports an agency system that misbehaves: transient or permanent."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.rest.connector import RestConnector
from hub.connector import ConnectorContext, OutgoingReferral, Receipt
from hub.errors import ConnectorError, ConnectorTimeout
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


def connector_for(base_url: str, tmp_path: Path, **overrides: Any) -> RestConnector:
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
    return RestConnector(settings, ConnectorContext("golestan-water", {}, {}, tmp_path, tmp_path))


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[tuple[RestSandboxApp, RestConnector]]:
    with running_rest_sandbox(RestSandboxSettings(step_seconds=60)) as (app, server):
        connector = connector_for(server.url, tmp_path)
        yield app, connector
        connector.close()


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


def test_an_answer_without_the_external_id_is_transient(sandbox, tmp_path: Path) -> None:
    _, connector = sandbox
    url = connector.rest.base_url
    wrong = connector_for(url, tmp_path, push={"path": "/api/v1/tickets", "external_id": "id"})
    with pytest.raises(ConnectorError) as error:
        wrong.push(REFERRAL)
    assert not error.value.permanent
    assert "without the case id (id)" in error.value.message
    wrong.close()


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


def test_a_slow_agency_within_the_timeout_is_waited_for(sandbox) -> None:
    app, connector = sandbox
    app.faults.set(FaultMode.SLOW, count=1, delay_seconds=0.1)
    assert connector.push(REFERRAL).external_id


def test_a_poll_during_an_outage_is_transient(sandbox) -> None:
    app, connector = sandbox
    receipt = connector.push(REFERRAL)
    app.faults.set(FaultMode.ERROR500)
    with pytest.raises(ConnectorError) as error:
        connector.poll([receipt])
    assert not error.value.permanent
    app.faults.reset()
    assert connector.poll([receipt])[0].status == "NEW"


def test_a_poll_answer_without_a_list_of_cases_is_transient(sandbox, tmp_path: Path) -> None:
    _, connector = sandbox
    receipt = connector.push(REFERRAL)
    poll = {**connector.settings["poll"], "items": "tickets"}
    wrong = connector_for(connector.rest.base_url, tmp_path, poll=poll)
    with pytest.raises(ConnectorError, match="a list of cases"):
        wrong.poll([receipt])
    wrong.close()


def test_an_agency_nobody_listens_for_is_transient_and_named(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    connector = connector_for(url, tmp_path)
    with pytest.raises(ConnectorError) as error:
        connector.poll([Receipt(1, "WTR-1")])
    assert not error.value.permanent
    assert url in error.value.message
    connector.close()


def test_check_reports_a_healthy_agency_and_a_failing_one(sandbox) -> None:
    app, connector = sandbox
    health = connector.check()
    assert health.ok
    assert "/api/v1/health answered HTTP 200" in health.detail
    app.faults.set(FaultMode.ERROR500, count=1)
    failing = connector.check()
    assert not failing.ok
    assert "HTTP 500" in failing.problems[0]


def test_check_without_a_health_path_only_needs_the_server_to_answer(sandbox, tmp_path) -> None:
    _, connector = sandbox
    settings = {key: value for key, value in connector.settings.items() if key != "check_path"}
    root_only = RestConnector(settings, connector.context)
    assert root_only.check().ok  # the root answers 404, but it answers
    root_only.close()


def test_check_of_an_agency_that_refuses_connections_is_not_ok(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    health = connector_for(url, tmp_path).check()
    assert not health.ok
    assert url in health.detail
