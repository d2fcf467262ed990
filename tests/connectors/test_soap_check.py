"""``check()``: the WSDL is compared with the agreement before any referral is sent."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.soap import clients
from connectors.soap.connector import SoapConnector
from hub.core.errors import ConnectorRefused
from hub.plugins.connector import ConnectorContext, OutgoingReferral
from hub.sandbox.server import BackgroundServer, free_port
from hub.sandbox.soap import SoapSandbox

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = yaml.safe_load((ROOT / "config/agreements/golestan-power.yaml").read_text())


@pytest.fixture(scope="module")
def sandbox() -> SoapSandbox:
    return SoapSandbox()


@pytest.fixture(scope="module")
def server(sandbox: SoapSandbox) -> Iterator[BackgroundServer]:
    with BackgroundServer(sandbox.app()) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_sandbox(sandbox: SoapSandbox) -> Iterator[None]:
    yield
    sandbox.reset()
    clients.forget_clients()


def make_connector(
    server: BackgroundServer,
    tmp_path: Path,
    mapping: dict[str, Any] | None = None,
    **changes: Any,
) -> SoapConnector:
    settings = copy.deepcopy(AGREEMENT["connector"]["settings"])
    settings["wsdl"] = f"{server.url}/?wsdl"
    del settings["auth"]
    settings.update(changes)
    context = ConnectorContext(
        AGREEMENT["id"],
        AGREEMENT["mapping"] if mapping is None else mapping,
        AGREEMENT["status_map"],
        ROOT / "config",
        tmp_path,
    )
    return SoapConnector(settings, context)


def test_the_sample_agreement_matches_the_agencys_wsdl(
    server: BackgroundServer, tmp_path: Path
) -> None:
    health = make_connector(server, tmp_path).check()
    assert health.ok, health.problems
    assert health.problems == ()
    assert "RegisterCase" in health.detail


def test_a_field_renamed_in_the_agencys_new_wsdl_is_reported_before_any_push(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    connector = make_connector(server, tmp_path)
    assert connector.check().ok
    sandbox.controls.wsdl_variant = "renamed"
    health = connector.check()
    assert not health.ok
    assert health.problems == (
        "The mapping fills 'Subscriber.Mobile', but Subscriber in RegisterCase's input has no "
        "field 'Mobile' (it has FullName, CellPhone, BillId, NationalCode).",
        "RegisterCase requires 'Subscriber.CellPhone', which the mapping does not fill.",
    )
    assert sandbox.stats()["cases"] == 0


def test_after_the_wsdl_changed_a_push_with_the_old_mapping_fails_permanently(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    connector = make_connector(server, tmp_path)
    sandbox.controls.wsdl_variant = "renamed"
    connector.check()
    referral = OutgoingReferral(
        referral_id=1,
        reference="R-1405-0000001-5",
        tracking_code="140500000001",
        idempotency_key="check-1",
        agreement_id=AGREEMENT["id"],
        fields={
            "Subject": "قطعی برق",
            "Description": "قطعی برق در بندر ترکمن",
            "Subscriber": {"FullName": "رضا قلی‌زاده", "Mobile": "09111111111"},
            "Location": {"County": "بندر ترکمن", "Text": "بلوار ساحلی"},
        },
        request={},
    )
    with pytest.raises(ConnectorRefused) as refused:
        connector.push(referral)
    assert "does not match the agency's WSDL" in refused.value.message
    assert sandbox.stats()["cases"] == 0


def test_it_names_operations_the_wsdl_does_not_offer(
    server: BackgroundServer, tmp_path: Path
) -> None:
    operations = {"push": "RegisterCase", "poll": "GetCaseState", "poll_batch": "GetCaseStatuses"}
    health = make_connector(server, tmp_path, operations=operations).check()
    assert health.problems == (
        "The WSDL has no operation 'GetCaseState' (the poll operation); it offers GetCaseStatus, "
        "GetCaseStatuses, RegisterCase.",
    )


def test_it_names_mapping_targets_and_poll_fields_that_do_not_exist(
    server: BackgroundServer, tmp_path: Path
) -> None:
    mapping = {**AGREEMENT["mapping"], "Location.PostCode": "location.postcode"}
    poll = {**AGREEMENT["connector"]["settings"]["poll"], "batch_field": "CaseNumbers.Id"}
    health = make_connector(server, tmp_path, mapping=mapping, poll=poll).check()
    assert health.problems == (
        "The mapping fills 'Location.PostCode', but Location in RegisterCase's input has no field "
        "'PostCode' (it has County, City, Text, Latitude, Longitude).",
        "The poll setting batch_field 'CaseNumbers.Id' does not exist: CaseNumbers in "
        "GetCaseStatuses's input has no field 'Id' (it has CaseNumber).",
    )


def test_it_reports_an_idempotency_field_the_input_lacks_and_bad_expressions(
    server: BackgroundServer, tmp_path: Path
) -> None:
    health = make_connector(
        server, tmp_path, idempotency={"field": "Key"}, push={"external_id": "Case[.Number"}
    ).check()
    assert health.problems[0] == (
        "The idempotency field 'Key' is set, but RegisterCase's input has no field 'Key' "
        "(it has RequestKey, ReferenceNo, Subject, Description, Category, Subscriber, Location, "
        "DueDate)."
    )
    assert health.problems[1] == (
        "RegisterCase requires 'RequestKey', which the mapping does not fill."
    )
    assert health.problems[2].startswith(
        "The setting push.external_id is not a valid JMESPath expression"
    )


def test_an_unreachable_wsdl_is_reported_not_raised(tmp_path: Path) -> None:
    settings = copy.deepcopy(AGREEMENT["connector"]["settings"])
    settings["wsdl"] = f"http://127.0.0.1:{free_port()}/?wsdl"
    context = ConnectorContext(
        AGREEMENT["id"], AGREEMENT["mapping"], AGREEMENT["status_map"], ROOT / "config", tmp_path
    )
    health = SoapConnector(settings, context).check()
    assert not health.ok
    assert "could not be used" in health.detail
    assert len(health.problems) == 1 and "could not reach" in health.problems[0]
