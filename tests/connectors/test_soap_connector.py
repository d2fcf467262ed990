"""The soap connector against the power company's SOAP sandbox, over real HTTP on loopback.

The connector is configured from the sample agreement ``config/agreements/golestan-power.yaml``
itself, with only the sandbox's address and the WS-Security password filled in.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from connectors.soap import clients
from connectors.soap.connector import SoapConnector
from hub.core.errors import ConnectorError, ConnectorRefused, ConnectorTimeout
from hub.plugins.connector import ConnectorContext, OutgoingReferral, Receipt
from hub.plugins.manager import make_plugin_manager
from hub.sandbox.server import BackgroundServer, free_port
from hub.sandbox.soap import STATUS_TITLES, ManualClock, SoapSandbox

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = yaml.safe_load((ROOT / "config/agreements/golestan-power.yaml").read_text())
USER, PASSWORD = "samad-111", "رمز-آزمایشی-۱۴۰۵"
STEP = 60.0
FIELDS = {
    "Subject": "قطعی مکرر برق",
    "Description": "برق خیابان امام خمینی گرگان از ساعت ۲۰ قطع است.",
    "Category": "power.outage",
    "Subscriber": {"FullName": "مریم کریمی", "Mobile": "09111234567", "NationalCode": "2110000011"},
    "Location": {"County": "گرگان", "City": "گرگان", "Text": "خیابان امام خمینی، نبش کوچه ۸"},
}


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def sandbox(clock: ManualClock) -> SoapSandbox:
    return SoapSandbox(step_seconds=STEP, clock=clock, users={USER: PASSWORD})


@pytest.fixture(scope="module")
def server(sandbox: SoapSandbox) -> Iterator[BackgroundServer]:
    with BackgroundServer(sandbox.app()) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_sandbox(sandbox: SoapSandbox) -> Iterator[None]:
    yield
    sandbox.reset()
    sandbox.users = {USER: PASSWORD}
    sandbox.basic_auth = None
    clients.forget_clients()


@pytest.fixture
def context(tmp_path: Path) -> ConnectorContext:
    return ConnectorContext(
        agreement_id=AGREEMENT["id"],
        mapping=AGREEMENT["mapping"],
        status_map=AGREEMENT["status_map"],
        config_dir=ROOT / "config",
        cache_dir=tmp_path / "cache",
    )


def settings_for(server: BackgroundServer, **changes: Any) -> dict[str, Any]:
    settings = copy.deepcopy(AGREEMENT["connector"]["settings"])
    settings["wsdl"] = f"{server.url}/?wsdl"
    settings["auth"]["username_token"]["password"] = PASSWORD
    settings.update(changes)
    return settings


@pytest.fixture
def connector(server: BackgroundServer, context: ConnectorContext) -> SoapConnector:
    return SoapConnector(settings_for(server), context)


def referral(number: int = 1, description: str | None = None, attempt: int = 1) -> OutgoingReferral:
    fields = copy.deepcopy(FIELDS)
    if description:
        fields["Description"] = description
    return OutgoingReferral(
        referral_id=number,
        reference=f"R-1405-{number:07d}-1",
        tracking_code=f"1405{number:08d}",
        idempotency_key=f"idem-{number}",
        agreement_id=AGREEMENT["id"],
        fields=fields,
        request={},
        attempt=attempt,
    )


def test_a_push_opens_a_case_and_returns_the_agencys_case_number(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    receipt = connector.push(referral(1))
    case = sandbox.registry.cases[receipt.external_id]
    assert receipt.external_id.startswith("BRQ/14")
    assert receipt.raw["CaseNumber"] == receipt.external_id
    assert case.fields["Description"] == FIELDS["Description"]
    assert case.fields["Subscriber"]["FullName"] == "مریم کریمی"
    assert case.fields["ReferenceNo"] == "R-1405-0000001-1"
    assert case.request_key == "idem-1"


def test_a_retried_push_never_opens_a_second_case(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    first = connector.push(referral(2))
    again = connector.push(referral(2, attempt=2))
    assert again.external_id == first.external_id
    assert sandbox.stats() == {"cases": 1, "replays": 1, "duplicates": 0}


def test_polling_reports_the_agencys_own_status_as_its_case_moves(
    connector: SoapConnector, clock: ManualClock
) -> None:
    receipt = connector.push(referral(3))
    seen = []
    for _ in range(5):
        [update] = connector.poll([receipt])
        seen.append(update.status)
        clock.advance(STEP)
    [final] = connector.poll([receipt])
    assert seen == ["10", "20", "30", "40", "50"]
    assert [AGREEMENT["status_map"][status] for status in seen] == [
        "delivered", "viewed", "in_progress", "forwarded", "resolved"
    ]  # fmt: skip
    assert final.external_id == receipt.external_id
    assert "برطرف" in (final.result or "")
    assert final.occurred_at is not None and final.occurred_at.tzinfo is not None


def test_the_same_report_polled_twice_has_the_same_update_id(
    connector: SoapConnector, clock: ManualClock
) -> None:
    receipt = connector.push(referral(4))
    [first] = connector.poll([receipt])
    [again] = connector.poll([receipt])
    clock.advance(STEP)
    [later] = connector.poll([receipt])
    assert first.update_id == again.update_id
    assert later.update_id != first.update_id


def test_a_case_the_agency_returns_ends_returned_with_its_reason(
    connector: SoapConnector, clock: ManualClock
) -> None:
    receipt = connector.push(referral(5, "تیر چراغ روشنایی معبر خاموش است [return]"))
    clock.advance(STEP * 10)
    [update] = connector.poll([receipt])
    assert AGREEMENT["status_map"][update.status] == "returned"
    assert "حیطه" in (update.result or "")


def test_polling_uses_the_batch_operation_in_chunks(
    server: BackgroundServer, context: ConnectorContext, sandbox: SoapSandbox
) -> None:
    settings = settings_for(server)
    settings["poll"]["batch_size"] = 2
    connector = SoapConnector(settings, context)
    receipts = [connector.push(referral(10 + i)) for i in range(5)]
    updates = connector.poll(receipts)
    assert sorted(u.external_id for u in updates) == sorted(r.external_id for r in receipts)
    assert sandbox.calls["GetCaseStatuses"] == 3
    assert sandbox.calls["GetCaseStatus"] == 0


def test_without_a_batch_operation_it_polls_case_by_case(
    server: BackgroundServer, context: ConnectorContext, sandbox: SoapSandbox
) -> None:
    settings = settings_for(server)
    del settings["operations"]["poll_batch"]
    connector = SoapConnector(settings, context)
    receipts = [connector.push(referral(20 + i)) for i in range(3)]
    unknown = Receipt(referral_id=99, external_id="BRQ/1405/999999")
    updates = connector.poll([*receipts, unknown])
    assert [u.external_id for u in updates] == [r.external_id for r in receipts]
    assert sandbox.calls["GetCaseStatus"] == 4


def test_the_idempotency_key_can_travel_in_a_header_with_the_agreements_extra_headers(
    server: BackgroundServer, context: ConnectorContext, sandbox: SoapSandbox
) -> None:
    connector = SoapConnector(
        settings_for(server, idempotency={"header": "X-Request-Key"}), context
    )
    push = referral(7)
    fields = {**push.fields, "RequestKey": "set-by-the-mapping"}
    receipt = connector.push(dataclasses.replace(push, fields=fields))
    pushed_with = sandbox.last_headers
    connector.poll([receipt])
    assert pushed_with["x-request-key"] == "idem-7"
    assert pushed_with["x-caller"] == "samad-hub"
    assert "x-request-key" not in sandbox.last_headers  # only on the push it belongs to
    assert sandbox.last_headers["x-caller"] == "samad-hub"


def test_a_client_fault_is_a_permanent_refusal(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    sandbox.controls.fault = "client"
    with pytest.raises(ConnectorRefused) as refused:
        connector.push(referral(30))
    assert refused.value.permanent
    assert "کد اشتراک نامعتبر" in refused.value.message
    assert refused.value.detail["fault_code"] == "soap:Client"


def test_a_server_fault_is_transient_and_the_retry_succeeds(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    sandbox.controls.update({"fault": "server", "times": 1})
    with pytest.raises(ConnectorError) as failed:
        connector.push(referral(31))
    assert not failed.value.permanent
    assert connector.push(referral(31, attempt=2)).external_id.startswith("BRQ/")
    assert sandbox.stats()["duplicates"] == 0


def test_a_slow_agency_times_out_as_a_transient_error(
    server: BackgroundServer, context: ConnectorContext, sandbox: SoapSandbox
) -> None:
    connector = SoapConnector(settings_for(server, timeouts={"operation": 0.3}), context)
    connector.check()  # parse the WSDL before the agency turns slow
    sandbox.controls.update({"delay_seconds": 10.0, "times": 1})
    started = time.monotonic()
    with pytest.raises(ConnectorTimeout) as timed_out:
        connector.push(referral(32))
    assert not timed_out.value.permanent
    assert time.monotonic() - started < 5  # gave up at its 0.3 s, not at the agency's 10 s


def test_an_agency_that_is_down_is_a_transient_error(
    server: BackgroundServer, context: ConnectorContext
) -> None:
    connector = SoapConnector(
        settings_for(server, endpoint=f"http://127.0.0.1:{free_port()}/"), context
    )
    with pytest.raises(ConnectorError) as failed:
        connector.push(referral(33))
    assert not failed.value.permanent
    assert "could not reach" in failed.value.message


def test_a_wrong_ws_security_password_is_refused_permanently(
    server: BackgroundServer, context: ConnectorContext
) -> None:
    settings = settings_for(server)
    settings["auth"]["username_token"]["password"] = "wrong"
    with pytest.raises(ConnectorRefused) as refused:
        SoapConnector(settings, context).push(referral(34))
    assert "WS-Security" in refused.value.message


def test_a_digest_ws_security_token_is_accepted(
    server: BackgroundServer, context: ConnectorContext
) -> None:
    settings = settings_for(server)
    settings["auth"]["username_token"]["digest"] = True
    assert SoapConnector(settings, context).push(referral(35)).external_id.startswith("BRQ/")


def test_http_basic_auth_is_sent_when_the_agreement_names_it(
    server: BackgroundServer, context: ConnectorContext, sandbox: SoapSandbox
) -> None:
    sandbox.basic_auth = ("samad", "basic-secret")
    settings = settings_for(server)
    check = SoapConnector(settings, context).check()  # the WSDL loads; its check call: 401
    with pytest.raises(ConnectorError) as refused:
        SoapConnector(settings, context).push(referral(36))
    settings["auth"]["basic"] = {"username": "samad", "password": "basic-secret"}
    receipt = SoapConnector(settings, context).push(referral(36))
    assert not check.ok and "(HTTP 401)" in check.problems[0]
    assert refused.value.permanent and "401" in refused.value.message
    assert receipt.external_id.startswith("BRQ/")


def test_connector_instances_in_one_process_share_one_parsed_wsdl(
    server: BackgroundServer, context: ConnectorContext
) -> None:
    first = SoapConnector(settings_for(server), context)
    second = SoapConnector(settings_for(server), context)
    assert first.client is second.client
    assert (context.cache_dir / "zeep-wsdl.sqlite").is_file()


def test_it_pushes_over_soap_1_2_when_the_agreement_asks(
    server: BackgroundServer, context: ConnectorContext
) -> None:
    connector = SoapConnector(settings_for(server, soap_version="1.2"), context)
    receipt = connector.push(referral(40))
    assert connector.client.binding.name.localname == "CaseRegistrySoap12"
    assert receipt.external_id.startswith("BRQ/")


def test_it_works_from_the_wsdl_copy_kept_under_config(
    server: BackgroundServer, context: ConnectorContext
) -> None:
    settings = settings_for(server, wsdl="wsdl/golestan-power.wsdl", endpoint=f"{server.url}/")
    connector = SoapConnector(settings, context)
    assert connector.check().ok
    assert connector.push(referral(41)).external_id.startswith("BRQ/")


def test_the_connector_is_registered_by_its_entry_point() -> None:
    assert make_plugin_manager().connectors.get("soap") is SoapConnector


def test_the_sample_agreement_is_valid_and_maps_every_sandbox_status() -> None:
    schema = json.loads((ROOT / "schemas/agreement.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(AGREEMENT)
    jsonschema.Draft202012Validator(SoapConnector.settings_schema).validate(
        AGREEMENT["connector"]["settings"]
    )
    assert set(AGREEMENT["status_map"]) == {str(code) for code in STATUS_TITLES}
    assert AGREEMENT["routes"][0]["categories"] == ["power.*"]
    assert AGREEMENT["connector"]["settings"]["auth"]["username_token"]["password"].startswith(
        "${env:"
    )


def test_secret_settings_are_marked_in_the_schema() -> None:
    auth = SoapConnector.settings_schema["properties"]["auth"]["properties"]
    assert auth["username_token"]["properties"]["password"]["x-secret"] is True
    assert auth["basic"]["properties"]["password"]["x-secret"] is True
