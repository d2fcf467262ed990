"""``check()``: the WSDL is compared with the agreement before any referral is sent, and one
harmless operation (``operations.check``) proves the agreement's credentials."""

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
    sandbox.users = None
    sandbox.basic_auth = None
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
    for key, value in changes.items():  # None: leave the key out
        if value is None:
            settings.pop(key, None)
        else:
            settings[key] = value
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
    operations = {
        "push": "RegisterCase",
        "poll": "GetCaseState",
        "poll_batch": "GetCaseStatuses",
        "check": "GetCaseStatus",
    }
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


USER, PASSWORD = "samad-111", "رمز-آزمایشی-۱۴۰۵"
TOKEN = {"username_token": {"username": USER, "password": PASSWORD}}


def test_the_check_operation_proves_the_ws_security_credentials(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    sandbox.users = {USER: PASSWORD}
    health = make_connector(server, tmp_path, auth=TOKEN).check()
    assert health.ok, health.problems
    # Its test case is unknown to this registry: a Client fault about the case, not about us.
    assert "GetCaseStatus answered with a Client fault (پرونده‌ای با شماره BRQ/1405/000001" in (
        health.detail
    )
    assert "taken as proof that our credentials work" in health.detail
    assert sandbox.calls["GetCaseStatus"] == 1 and sandbox.stats()["cases"] == 0


def test_a_test_case_the_agency_knows_answers_plainly(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    sandbox.users = {USER: PASSWORD}
    case, _ = sandbox.registry.register("check-case", {"Subject": "پرونده آزمایشی"})
    health = make_connector(
        server, tmp_path, auth=TOKEN, check={"arguments": {"CaseNumber": case.number}}
    ).check()
    assert health.ok, health.problems
    assert "GetCaseStatus answered with our credentials in" in health.detail


def test_a_wrong_ws_security_password_is_named_with_the_key_to_change(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    sandbox.users = {USER: PASSWORD}
    wrong = {"username_token": {"username": USER, "password": "last-year's"}}
    health = make_connector(server, tmp_path, auth=wrong).check()
    assert not health.ok
    assert health.problems == (
        "The agency refused our WS-Security credentials on GetCaseStatus (احراز هویت ناموفق: the "
        "password is wrong) — check connector.settings.auth.username_token.",
    )
    missing = make_connector(server, tmp_path).check()  # the agreement has no token at all
    assert missing.problems[0].endswith(
        "— it asks for WS-Security: set connector.settings.auth.username_token."
    )


def test_http_basic_auth_missing_or_wrong_is_named(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    sandbox.basic_auth = ("samad", "basic-secret")
    missing = make_connector(server, tmp_path).check()
    wrong = make_connector(
        server, tmp_path, auth={"basic": {"username": "samad", "password": "basic-secrte"}}
    ).check()
    right = make_connector(
        server, tmp_path, auth={"basic": {"username": "samad", "password": "basic-secret"}}
    ).check()
    assert missing.problems == (
        "The agency refused our credentials (HTTP 401) — it asks for HTTP authentication: set "
        "connector.settings.auth.basic.",
    )
    assert wrong.problems == (
        "The agency refused our credentials (HTTP 401) — check connector.settings.auth.basic.",
    )
    assert right.ok, right.problems


def test_without_a_check_operation_the_credentials_are_said_not_verified(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    sandbox.users = {USER: PASSWORD}
    operations = {
        key: name
        for key, name in AGREEMENT["connector"]["settings"]["operations"].items()
        if key != "check"
    }
    wrong = {"username_token": {"username": USER, "password": "wrong"}}
    health = make_connector(server, tmp_path, auth=wrong, operations=operations, check=None).check()
    assert not health.ok
    assert health.problems == (
        "Our credentials (connector.settings.auth) were NOT verified: no operation was called — "
        "name a harmless one in connector.settings.operations.check (such as the status of a "
        "known test case) with its input in check.arguments.",
    )
    assert sandbox.calls["GetCaseStatus"] == 0


def test_an_agency_failing_on_the_check_verifies_nothing(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    sandbox.controls.update({"fault": "server", "times": 1})
    health = make_connector(server, tmp_path).check()
    assert not health.ok
    [problem] = health.problems
    assert problem.startswith("The agency's system failed on GetCaseStatus (")
    assert problem.endswith("so our credentials were NOT verified — run the check again later.")


def test_check_arguments_the_operation_does_not_take_are_named_and_not_sent(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    health = make_connector(server, tmp_path, check={"arguments": {"CaseNo": "BRQ/1"}}).check()
    assert health.problems == (
        "The check argument 'CaseNo' is set, but GetCaseStatus's input has no field 'CaseNo' (it "
        "has CaseNumber); correct connector.settings.check.arguments.",
        "The check operation GetCaseStatus requires 'CaseNumber', which "
        "connector.settings.check.arguments does not fill.",
    )
    assert sandbox.calls["GetCaseStatus"] == 0


def test_response_paths_that_name_no_element_of_the_answers_are_named(
    server: BackgroundServer, tmp_path: Path
) -> None:
    # zeep gives an answer with one element as that element: RegisterCase's Receipt itself.
    poll = {**AGREEMENT["connector"]["settings"]["poll"], "status": "Statuscode"}
    health = make_connector(
        server, tmp_path, push={"external_id": "Receipt.CaseNumber"}, poll=poll
    ).check()
    assert health.problems == (
        "The setting push.external_id 'Receipt.CaseNumber' names no element of the agency's "
        "answer: RegisterCase's answer (its one element, Receipt) has no element 'Receipt' (it "
        "has CaseNumber, RegisteredAt, StatusCode); correct connector.settings.push.external_id.",
        "The setting poll.status 'Statuscode' names no element of the agency's answer: one case "
        "in GetCaseStatuses's answer (its one element, a list of CaseStatus) has no element "
        "'Statuscode' (it has CaseNumber, StatusCode, StatusTitle, ChangedAt, Result); correct "
        "connector.settings.poll.status.",
    )


def test_the_batch_items_path_is_checked_against_the_batch_answer(
    server: BackgroundServer, tmp_path: Path
) -> None:
    poll = {**AGREEMENT["connector"]["settings"]["poll"], "items": "CaseStatus"}
    health = make_connector(server, tmp_path, poll=poll).check()
    assert health.problems == (
        "The setting poll.items 'CaseStatus' names no element of the agency's answer: "
        "GetCaseStatuses's answer (its one element, a list of CaseStatus) has no element "
        "'CaseStatus' (it has CaseNumber, StatusCode, StatusTitle, ChangedAt, Result); correct "
        "connector.settings.poll.items.",
    )
    projected = make_connector(
        server, tmp_path, poll={**poll, "items": "[*]", "status": "StatusCode"}
    ).check()
    assert projected.ok, projected.problems


# A ticket system shaped like Znuny's: an Article takes ContentType, or Charset with MimeType.
TICKETS_WSDL = Path(__file__).with_name("ticket_choice.wsdl")
TICKET_MAPPING = {
    "Ticket.Title": "subject",
    "Ticket.Queue": {"const": "Samad"},
    "Ticket.CustomerUser": "citizen.mobile",
    "Article.Subject": "subject",
    "Article.Body": "description",
}


def ticket_connector(tmp_path: Path, mapping: dict[str, Any], **changes: Any) -> SoapConnector:
    settings: dict[str, Any] = {
        "wsdl": str(TICKETS_WSDL),
        "operations": {"push": "TicketCreate", "poll": "TicketGet"},
        "reference_field": "ExternalKey",
        "push": {"external_id": "TicketNumber"},
        "poll": {
            "case_field": "TicketID",
            "external_id": "TicketNumber",
            "status": "State",
            "result": "Solution || RejectReason",
            "changed_at": "Changed",
        },
        **changes,
    }
    context = ConnectorContext("znuny", mapping, {"new": "delivered"}, tmp_path, tmp_path)
    return SoapConnector(settings, context)


@pytest.mark.parametrize(
    "article",
    [
        {"Article.Charset": {"const": "utf-8"}, "Article.MimeType": {"const": "text/plain"}},
        {"Article.ContentType": {"const": "text/plain; charset=utf-8"}},
    ],
    ids=["charset-and-mime-type", "content-type"],
)
def test_either_branch_of_a_choice_fills_it(tmp_path: Path, article: dict[str, Any]) -> None:
    health = ticket_connector(tmp_path, {**TICKET_MAPPING, **article}).check()
    assert health.problems == ()
    assert health.ok
    assert "no operation was called (no credentials to verify)" in health.detail


def test_a_branch_half_filled_names_what_it_lacks(tmp_path: Path) -> None:
    mapping = {**TICKET_MAPPING, "Article.Charset": {"const": "utf-8"}}
    health = ticket_connector(tmp_path, mapping).check()
    assert health.problems == (
        "TicketCreate requires 'Article.MimeType', which the mapping does not fill.",
    )


def test_a_choice_no_branch_of_which_is_filled_is_named_once_with_each_branch(
    tmp_path: Path,
) -> None:
    mapping = {key: source for key, source in TICKET_MAPPING.items() if key != "Ticket.Queue"}
    health = ticket_connector(tmp_path, mapping).check()
    assert health.problems == (
        "TicketCreate requires one of 'Ticket.QueueID' or 'Ticket.Queue', which the mapping does "
        "not fill.",
        "TicketCreate requires one of 'Article.ContentType' or ('Article.MimeType' and "
        "'Article.Charset'), which the mapping does not fill.",
    )


def test_answer_paths_into_a_choice_and_through_the_unwrapped_answer(tmp_path: Path) -> None:
    mapping = {**TICKET_MAPPING, "Article.ContentType": {"const": "text/plain"}}
    poll = {"case_field": "TicketID", "external_id": "TicketNumber", "status": "Ticket.State"}
    health = ticket_connector(tmp_path, mapping, poll=poll).check()
    assert health.problems == (
        "The setting poll.status 'Ticket.State' names no element of the agency's answer: "
        "TicketGet's answer (its one element, Ticket) has no element 'Ticket' (it has TicketID, "
        "TicketNumber, State, Changed, Solution, RejectReason); correct "
        "connector.settings.poll.status.",
    )


def test_a_check_operation_the_wsdl_lacks_is_named_and_not_called(
    server: BackgroundServer, sandbox: SoapSandbox, tmp_path: Path
) -> None:
    operations = {**AGREEMENT["connector"]["settings"]["operations"], "check": "Ping"}
    health = make_connector(server, tmp_path, operations=operations).check()
    assert health.problems == (
        "The WSDL has no operation 'Ping' (the check operation); it offers GetCaseStatus, "
        "GetCaseStatuses, RegisterCase.",
    )
    assert "Ping was not called: the WSDL has no such operation" in health.detail
    assert sum(sandbox.calls.values()) == 0
