"""The Open311 connector against a GeoReport v2 server (the Open311 sandbox), in JSON and XML:
it files requests, follows tokens, polls them to closed, and tells the hub which failures to
retry, which to give up on and which leave it unknown whether the agency acted."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.open311.connector import TOKEN_PREFIX, Open311Connector
from hub.core.errors import ConnectorError
from hub.core.settings import REPO_ROOT
from hub.plugins.connector import ConnectorContext
from hub.sandbox.open311 import (
    Open311SandboxApp,
    Open311SandboxSettings,
    running_open311_sandbox,
)
from hub.sandbox.rest_tickets import ManualClock
from hub.testing import FrozenClock, ReferralFactory

API_KEY = "test-roads-open311-key"
JURISDICTION = "rahdari.golestan.example"
MAPPING = {
    "description": "description",
    "address_string": "location.address",
    "attribute.samad_reference": "referral.reference",
}
FIELDS = {"description": "چاله بزرگ در جاده گرگان به آق‌قلا", "address_string": "کیلومتر ۱۲"}
SERVICES = {
    "water.*": {"service_code": "RD-POTHOLE", "attributes": {"lane_blocked": "yes"}},
    "roads.signage": {"service_code": "RD-SIGN"},
}

Sandbox = tuple[Open311SandboxApp, str]
MakeConnector = Callable[..., Open311Connector]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(params=["json", "xml"])
def fmt(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sandbox_settings(clock: ManualClock) -> dict[str, Any]:
    """What the sandbox of a test is started with; a test changes it before asking `agency`."""
    return {"api_key": API_KEY, "jurisdiction_id": JURISDICTION, "clock": clock}


@pytest.fixture
def agency(sandbox_settings: dict[str, Any]) -> Iterator[Sandbox]:
    with running_open311_sandbox(Open311SandboxSettings(**sandbox_settings)) as (app, server):
        yield app, f"{server.url}/open311/v2"


@pytest.fixture
def connect(agency: Sandbox, fmt: str, tmp_path: Path) -> Iterator[MakeConnector]:
    made: list[Open311Connector] = []

    def make(**overrides: Any) -> Open311Connector:
        settings = {
            "endpoint": agency[1],
            "format": fmt,
            "jurisdiction_id": JURISDICTION,
            "api_key": API_KEY,
            "services": SERVICES,
            "timeout_seconds": 5,
            "tokens": {"attempts": 2, "interval_seconds": 0.05},
            **overrides,
        }
        context = ConnectorContext("golestan-roads", MAPPING, {}, tmp_path, tmp_path)
        connector = Open311Connector(settings, context)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def referral() -> Callable[..., Any]:
    make = ReferralFactory(FrozenClock(), fields=FIELDS, reference_at=None)

    def new(**fields: Any) -> Any:
        first = make(**fields)
        return make(attribute={"samad_reference": first.reference}, **fields)

    return new


def test_a_push_files_one_request_with_the_categorys_service_and_attributes(
    agency: Sandbox, connect: MakeConnector, referral: Callable[..., Any]
) -> None:
    app, _ = agency
    outgoing = referral()
    receipt = connect().push(outgoing)
    filed = app.store.get(receipt.external_id)
    assert filed is not None and filed.service_code == "RD-POTHOLE"
    assert filed.value("attribute[lane_blocked]") == "yes"
    assert (
        filed.value("attribute[samad_reference]") == outgoing.fields["attribute"]["samad_reference"]
    )
    assert filed.value("description") == FIELDS["description"]
    assert filed.value("jurisdiction_id") == JURISDICTION


TOKENS = {"api_key": API_KEY, "jurisdiction_id": JURISDICTION, "answer_with": "token"}


@pytest.mark.parametrize("sandbox_settings", [TOKENS], ids=["token"])
def test_a_token_answer_is_followed_to_its_service_request_id(
    agency: Sandbox, connect: MakeConnector, referral: Callable[..., Any]
) -> None:
    app, _ = agency
    receipt = connect().push(referral())
    assert not receipt.external_id.startswith(TOKEN_PREFIX)
    assert app.store.get(receipt.external_id) is not None
    assert receipt.raw["token"]


def test_a_token_not_yet_made_into_an_id_is_kept_and_resolved_by_a_later_poll(
    sandbox_settings: dict[str, Any],
    clock: ManualClock,
    fmt: str,
    tmp_path: Path,
    referral: Callable[..., Any],
) -> None:
    slow = Open311SandboxSettings(
        **{**sandbox_settings, "answer_with": "token", "token_ready_after_seconds": 60}
    )
    with running_open311_sandbox(slow) as (_, server):
        context = ConnectorContext("golestan-roads", MAPPING, {}, tmp_path, tmp_path)
        settings = {
            "endpoint": f"{server.url}/open311/v2",
            "format": fmt,
            "api_key": API_KEY,
            "services": SERVICES,
            "tokens": {"attempts": 1},
        }
        connector = Open311Connector(settings, context)
        try:
            receipt = connector.push(referral())
            assert receipt.external_id.startswith(TOKEN_PREFIX)
            assert connector.poll([receipt]) == []  # no id yet: nothing to ask about
            clock.advance(61)
            (update,) = connector.poll([receipt])
        finally:
            connector.close()
    assert update.external_id == receipt.external_id and update.status == "open"


def test_poll_follows_requests_in_batches_to_closed_with_the_status_notes_as_result(
    agency: Sandbox, connect: MakeConnector, referral: Callable[..., Any]
) -> None:
    app, _ = agency
    connector = connect(batch_size=2)
    receipts = [connector.push(referral()) for _ in range(3)]
    assert [u.status for u in connector.poll(receipts)] == ["open", "open", "open"]
    app.store.move(receipts[1].external_id, "closed", "چاله با آسفالت گرم ترمیم شد.")
    updates = {u.external_id: u for u in connector.poll(receipts)}
    closed = updates[receipts[1].external_id]
    assert (closed.status, closed.result) == ("closed", "چاله با آسفالت گرم ترمیم شد.")
    assert updates[receipts[0].external_id].status == "open"
    assert connector.poll(receipts[1:2])[0].update_id == closed.update_id  # applied once


def test_the_servers_request_updates_bring_the_extended_statuses(
    agency: Sandbox, connect: MakeConnector, referral: Callable[..., Any]
) -> None:
    app, _ = agency
    connector = connect(updates={"enabled": True, "lookback_seconds": 3600})
    receipt = connector.push(referral())
    app.store.move(receipt.external_id, "IN_PROGRESS", "به اکیپ راهداری سپرده شد.")
    app.store.move(receipt.external_id, "FIXED", "ترمیم شد.")
    updates = connector.poll([receipt])
    assert [u.status for u in updates] == ["IN_PROGRESS", "FIXED", "closed"]
    assert updates[1].result == "ترمیم شد." and updates[1].update_id.startswith("update:")


def test_a_second_push_the_server_says_already_exists_lands_on_the_same_request(
    agency: Sandbox, connect: MakeConnector, referral: Callable[..., Any]
) -> None:
    app, _ = agency
    connector, outgoing = connect(), referral()
    first, again = connector.push(outgoing), connector.push(outgoing)
    assert again.external_id == first.external_id and again.raw["already_exists"] is True
    assert app.store.stats() == {"requests": 1, "posts": 2}


def _error(call: Callable[[], Any]) -> ConnectorError:
    with pytest.raises(ConnectorError) as caught:
        call()
    return caught.value


def test_a_wrong_api_key_is_permanent_and_names_the_setting(
    connect: MakeConnector, referral: Callable[..., Any]
) -> None:
    error = _error(lambda: connect(api_key="not-the-key").push(referral()))
    assert error.permanent and not error.ambiguous
    assert "403" in error.message and "Invalid api_key" in error.message
    assert "connector.settings.api_key" in error.message


def test_a_request_the_server_refuses_is_permanent_and_says_why(
    connect: MakeConnector, referral: Callable[..., Any]
) -> None:
    services = {"water.*": {"service_code": "RD-POTHOLE"}}  # lane_blocked is required
    error = _error(lambda: connect(services=services).push(referral()))
    assert error.permanent and "attribute[lane_blocked] is required" in error.message
    error = _error(lambda: connect(services={"gas.*": {"service_code": "X"}}).push(referral()))
    assert error.permanent and "no service_code for category 'water.leak'" in error.message


def test_a_server_error_is_transient_and_503_says_nothing_was_done(
    agency: Sandbox, connect: MakeConnector, referral: Callable[..., Any]
) -> None:
    app, _ = agency
    app.faults.fail_next(500)
    failed = _error(lambda: connect().push(referral()))
    app.faults.fail_next(503)
    unavailable = _error(lambda: connect().push(referral()))
    assert not failed.permanent and failed.ambiguous
    assert not unavailable.permanent and not unavailable.ambiguous
    receipt = connect().push(referral())
    app.faults.fail_next(502)
    assert not _error(lambda: connect().poll([receipt])).permanent


def test_an_answer_lost_after_the_request_was_filed_is_ambiguous(
    agency: Sandbox, connect: MakeConnector, referral: Callable[..., Any]
) -> None:
    app, _ = agency
    app.faults.stall_after_filing(2.0)
    error = _error(lambda: connect(timeout_seconds=0.5).push(referral()))
    assert not error.permanent and error.ambiguous, error
    assert app.store.stats()["requests"] == 1  # the server did file it


def test_an_unreachable_server_is_transient_and_not_ambiguous(
    fmt: str, tmp_path: Path, referral: Callable[..., Any]
) -> None:
    from hub.sandbox.server import free_port

    context = ConnectorContext("golestan-roads", MAPPING, {}, tmp_path, tmp_path)
    settings = {
        "endpoint": f"http://127.0.0.1:{free_port()}/open311/v2",
        "format": fmt,
        "api_key": API_KEY,
        "services": SERVICES,
    }
    connector = Open311Connector(settings, context)
    error = _error(lambda: connector.push(referral()))
    connector.close()
    assert not error.permanent and not error.ambiguous


def test_check_lists_a_service_code_and_a_required_attribute_the_agency_lacks(
    connect: MakeConnector,
) -> None:
    assert connect().check().ok
    services = {
        "water.*": {"service_code": "RD-POTHOLE"},
        "roads.bridges": {"service_code": "RD-BRIDGE"},
    }
    health = connect(services=services).check()
    assert not health.ok
    assert any("services.roads.bridges" in p and "'RD-BRIDGE'" in p for p in health.problems)
    assert any("requires attribute 'lane_blocked'" in p for p in health.problems)


def test_check_says_an_unreachable_endpoint(connect: MakeConnector) -> None:
    health = connect(endpoint="http://127.0.0.1:9/open311/v2").check()
    assert not health.ok and "connector.settings.endpoint" in health.problems[0]


def test_the_shipped_sample_agreement_checks_clean_against_the_sandbox(
    agency: Sandbox, fmt: str, tmp_path: Path
) -> None:
    sample = yaml.safe_load(
        (REPO_ROOT / "config" / "agreements" / "golestan-roads.yaml").read_text(encoding="utf-8")
    )
    settings = {**sample["connector"]["settings"], "endpoint": agency[1], "format": fmt}
    context = ConnectorContext(
        sample["id"], sample["mapping"], sample["status_map"], tmp_path, tmp_path
    )
    connector = Open311Connector({**settings, "api_key": API_KEY}, context)
    health = connector.check()
    connector.close()
    assert health.ok and health.problems == (), health
