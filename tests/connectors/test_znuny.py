"""The soap connector onboarding a Znuny helpdesk from the preset, against the Znuny sandbox.

The agency answers as Znuny's GenericTicketConnectorSOAP does: credentials in the body, errors
inside HTTP 200 answers, elements in alphabetical order, times without a zone, a new ticket for
every TicketCreate. The agreement is the few lines an admin writes (``preset: znuny``), loaded by
the real agreements loader; real HTTP on loopback.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.soap import clients, sessions
from connectors.soap.connector import SoapConnector
from hub.agreements.loader import parse_agreement
from hub.agreements.mapping import apply_mapping
from hub.agreements.model import Agreement
from hub.agreements.secrets import resolve_env
from hub.core.errors import AgreementError, ConnectorError
from hub.core.settings import REPO_ROOT
from hub.core.states import ReferralState
from hub.plugins.connector import ConnectorContext, OutgoingReferral
from hub.plugins.manager import make_plugin_manager
from hub.sandbox.server import BackgroundServer
from hub.sandbox.soap import ManualClock
from hub.sandbox.znuny import ZnunySandbox

USER, PASSWORD = "samad-111", "رمز-زنونی-۱۴۰۵"
ENVIRONMENT = {"SAMAD_TELECOM_ZNUNY_USER": USER, "SAMAD_TELECOM_ZNUNY_PASSWORD": PASSWORD}
NOON_IN_TEHRAN = datetime(2026, 12, 4, 15, 10, tzinfo=UTC)  # 18:40 in Tehran


def agreement_text(endpoint: str, **settings: Any) -> str:
    """What the admin writes to onboard the telecom company's Znuny."""
    document = {
        "id": "golestan-telecom",
        "agency": {"name_fa": "شرکت مخابرات استان گلستان", "name_en": "Golestan Telecom"},
        "routes": [{"categories": ["telecom.*"]}],
        "connector": {
            "type": "soap",
            "preset": "znuny",
            "settings": {
                "endpoint": endpoint,
                "body_auth": {
                    "UserLogin": "${env:SAMAD_TELECOM_ZNUNY_USER}",
                    "Password": "${env:SAMAD_TELECOM_ZNUNY_PASSWORD}",
                },
                **settings,
            },
        },
        "mapping": {"Ticket.Queue": {"const": "Samad::111"}},
    }
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


def onboard(endpoint: str, **settings: Any) -> Agreement:
    return parse_agreement(
        agreement_text(endpoint, **settings), "t.yaml", make_plugin_manager().connectors
    )


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock(NOON_IN_TEHRAN)


@pytest.fixture(scope="module")
def sandbox(clock: ManualClock) -> ZnunySandbox:
    return ZnunySandbox(users={USER: PASSWORD}, clock=clock, session_seconds=600)


@pytest.fixture(scope="module")
def server(sandbox: ZnunySandbox) -> Iterator[BackgroundServer]:
    with BackgroundServer(sandbox.app()) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(sandbox: ZnunySandbox, clock: ManualClock) -> Iterator[None]:
    yield
    sandbox.reset()
    sandbox.order = "alphabetical"
    clock.now = NOON_IN_TEHRAN
    clients.forget_clients()
    sessions.forget_sessions()


def connect(
    agreement: Agreement, tmp_path: Path, environment: dict[str, str] = ENVIRONMENT
) -> SoapConnector:
    context = ConnectorContext(
        agreement_id=agreement.id,
        mapping=agreement.mapping,
        status_map={k: str(v) for k, v in agreement.status_map.items()},
        config_dir=REPO_ROOT / "config",
        cache_dir=tmp_path / "cache",
    )
    return SoapConnector(resolve_env(agreement.connector_settings, environment), context)


@pytest.fixture
def agreement(server: BackgroundServer) -> Agreement:
    return onboard(ZnunySandbox.endpoint(server.url))


@pytest.fixture
def connector(agreement: Agreement, tmp_path: Path) -> SoapConnector:
    return connect(agreement, tmp_path)


def referral(agreement: Agreement, number: int = 1) -> OutgoingReferral:
    reference, tracking = f"R-1405-{number:07d}-1", f"1405{number:08d}"
    document = {
        "subject": "قطعی تلفن ثابت",
        "description": "تلفن ثابت منزل از دیروز بوق ندارد.",
        "tracking_code": tracking,
        "referral": {"reference": reference, "tracking_code": tracking},
    }
    return OutgoingReferral(
        referral_id=number,
        reference=reference,
        tracking_code=tracking,
        idempotency_key=f"golestan-telecom:{number}",
        agreement_id=agreement.id,
        fields=apply_mapping(agreement.mapping, document),
        request={},
    )


def test_a_push_opens_one_ticket_carrying_our_reference_and_keeps_both_of_its_numbers(
    agreement: Agreement, connector: SoapConnector, sandbox: ZnunySandbox
) -> None:
    receipt = connector.push(referral(agreement, 1))
    [ticket] = sandbox.tickets_for("R-1405-0000001-1")
    assert receipt.external_id == str(ticket.ticket_id)  # Znuny's internal id: what we poll by
    assert receipt.raw["case_number"] == ticket.number == "2026120410000019"  # the clerks' one
    assert ticket.queue == "Samad::111" and ticket.title == "قطعی تلفن ثابت"
    assert ticket.dynamic_fields == {
        "SamadReference": ["R-1405-0000001-1"],
        "SamadTrackingCode": ["140500000001"],
    }
    assert ticket.articles[0].body == "تلفن ثابت منزل از دیروز بوق ندارد."


def test_znuny_opens_a_ticket_for_every_push_and_the_first_one_is_found_by_our_reference(
    agreement: Agreement, connector: SoapConnector, sandbox: ZnunySandbox
) -> None:
    first = connector.push(referral(agreement, 2))
    connector.push(referral(agreement, 2))  # what a blind retry would do: a second ticket
    assert len(sandbox.tickets_for("R-1405-0000002-1")) == 2
    found = connector.find(referral(agreement, 2))
    assert found is not None and found.external_id == first.external_id
    assert found.raw["case_number"] == first.raw["case_number"]
    assert connector.find(referral(agreement, 3)) is None
    assert connector.can_find()


def test_wrong_credentials_in_the_body_are_a_permanent_error_in_the_agencys_words(
    agreement: Agreement, tmp_path: Path, sandbox: ZnunySandbox
) -> None:
    wrong = {**ENVIRONMENT, "SAMAD_TELECOM_ZNUNY_PASSWORD": "not-it"}
    with pytest.raises(ConnectorError) as refused:
        connect(agreement, tmp_path, wrong).push(referral(agreement, 4))
    error = refused.value
    assert error.permanent and not error.ambiguous
    assert "credentials" in error.message
    assert "TicketCreate.AuthFail: TicketCreate: User could not be authenticated!" in error.message
    assert error.detail["error_message"] == "TicketCreate: User could not be authenticated!"
    assert sandbox.tickets_for("R-1405-0000004-1") == []


def test_another_refusal_of_the_agency_is_permanent_and_keeps_its_message(
    server: BackgroundServer, tmp_path: Path
) -> None:
    text = agreement_text(ZnunySandbox.endpoint(server.url))
    text = text.replace("Samad::111", "No::Such::Queue")
    agreement = parse_agreement(text, "t.yaml", make_plugin_manager().connectors)
    with pytest.raises(ConnectorError) as refused:
        connect(agreement, tmp_path).push(referral(agreement, 5))
    assert refused.value.permanent and not refused.value.ambiguous
    assert refused.value.message.endswith("TicketCreate: Ticket->Queue is invalid!")


SESSION = {"session": {"operation": "SessionCreate", "lifetime_seconds": 3000}}


def test_a_session_is_opened_once_and_shared_by_every_thread_that_pushes(
    server: BackgroundServer, tmp_path: Path, sandbox: ZnunySandbox
) -> None:
    agreement = onboard(ZnunySandbox.endpoint(server.url), **SESSION)
    connector = connect(agreement, tmp_path)
    threads = [
        threading.Thread(target=connector.push, args=(referral(agreement, 10 + n),))
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sandbox.calls["SessionCreate"] == 1
    assert sandbox.calls["TicketCreate"] == 8 and len(sandbox.helpdesk.tickets) == 8


def test_a_session_the_agency_ended_is_renewed_and_the_push_made_once_more(
    server: BackgroundServer, tmp_path: Path, sandbox: ZnunySandbox, clock: ManualClock
) -> None:
    agreement = onboard(ZnunySandbox.endpoint(server.url), **SESSION)
    connector = connect(agreement, tmp_path)
    connector.push(referral(agreement, 20))
    clock.advance(601)  # past Znuny's idle time: it answers TicketCreate.AuthFail
    receipt = connector.push(referral(agreement, 21))
    assert sandbox.calls["SessionCreate"] == 2
    assert sandbox.calls["TicketCreate"] == 3  # one refused, then made with the new session
    assert [t.ticket_id for t in sandbox.tickets_for("R-1405-0000021-1")] == [
        int(receipt.external_id)
    ]


def test_a_session_past_its_lifetime_is_renewed_before_the_call(
    server: BackgroundServer, tmp_path: Path, sandbox: ZnunySandbox
) -> None:
    short = {"session": {"operation": "SessionCreate", "lifetime_seconds": 0.3}}
    agreement = onboard(ZnunySandbox.endpoint(server.url), **short)
    connector = connect(agreement, tmp_path)
    connector.push(referral(agreement, 30))
    time.sleep(0.4)
    connector.push(referral(agreement, 31))
    assert sandbox.calls["SessionCreate"] == 2 and sandbox.calls["TicketCreate"] == 2


def test_wrong_credentials_for_the_session_are_permanent_and_the_push_never_went_out(
    server: BackgroundServer, tmp_path: Path, sandbox: ZnunySandbox
) -> None:
    agreement = onboard(ZnunySandbox.endpoint(server.url), **SESSION)
    wrong = {**ENVIRONMENT, "SAMAD_TELECOM_ZNUNY_PASSWORD": "not-it"}
    with pytest.raises(ConnectorError) as refused:
        connect(agreement, tmp_path, wrong).push(referral(agreement, 32))
    assert refused.value.permanent and not refused.value.ambiguous
    assert "SessionCreate: Authorization failing!" in refused.value.message
    assert sandbox.calls["TicketCreate"] == 0


def test_polling_brings_back_the_clerks_answer_and_closed_successful_is_resolved(
    agreement: Agreement, connector: SoapConnector, sandbox: ZnunySandbox, clock: ManualClock
) -> None:
    receipt = connector.push(referral(agreement, 40))
    [update] = connector.poll([receipt])
    assert (update.status, update.result) == ("new", None)
    assert agreement.map_status("new") is ReferralState.DELIVERED
    clock.advance(1800)
    sandbox.answer(int(receipt.external_id), "closed successful", "خط تلفن تعمیر و وصل شد.")
    [answered] = connector.poll([receipt])
    assert answered.status == "closed successful"
    assert agreement.map_status(answered.status) is ReferralState.RESOLVED
    assert answered.result == "خط تلفن تعمیر و وصل شد."  # the agent's article, not the citizen's
    # Znuny writes 19:10:00 with no zone; the hub reads it in the agreement's time_zone.
    assert answered.occurred_at == datetime(2026, 12, 4, 19, 10)
    assert str(agreement.time_zone) == "Asia/Tehran"
    assert answered.update_id != update.update_id
    assert answered.raw["EscalationTime"] == "0"  # Znuny sends more than the WSDL says: kept


def test_alphabetical_answers_are_read_leniently_and_without_lenient_are_never_called_refused(
    server: BackgroundServer, tmp_path: Path, sandbox: ZnunySandbox
) -> None:
    strict = onboard(ZnunySandbox.endpoint(server.url), parsing="strict")
    with pytest.raises(ConnectorError) as unread:
        connect(strict, tmp_path).push(referral(strict, 50))
    assert unread.value.ambiguous and not unread.value.permanent  # it may well hold the ticket
    assert len(sandbox.tickets_for("R-1405-0000050-1")) == 1
    sandbox.order = "wsdl"  # a Znuny whose admin set the web service's Sort to the WSDL's order
    assert connect(strict, tmp_path).push(referral(strict, 51)).external_id


def test_an_answer_cut_off_is_ambiguous_even_when_parsing_is_lenient(
    agreement: Agreement, connector: SoapConnector, sandbox: ZnunySandbox
) -> None:
    sandbox.faults.set("created_then_garbage", garbage="truncated")
    with pytest.raises(ConnectorError) as unread:
        connector.push(referral(agreement, 52))
    assert unread.value.ambiguous and not unread.value.permanent
    assert len(sandbox.tickets_for("R-1405-0000052-1")) == 1


def test_a_credential_written_into_the_mapping_is_refused_naming_its_key(
    server: BackgroundServer,
) -> None:
    text = agreement_text(ZnunySandbox.endpoint(server.url)).replace(
        "mapping:\n", "mapping:\n  Password: ${env:SAMAD_TELECOM_ZNUNY_PASSWORD}\n"
    )
    with pytest.raises(AgreementError) as refused:
        parse_agreement(text, "t.yaml", make_plugin_manager().connectors)
    [problem] = refused.value.problems
    assert problem.key_path == "mapping.Password"
    assert "sent to the agency as written" in problem.message and "body_auth" in problem.message


def test_credentials_in_the_body_must_be_env_references(server: BackgroundServer) -> None:
    text = agreement_text(ZnunySandbox.endpoint(server.url)).replace(
        "${env:SAMAD_TELECOM_ZNUNY_PASSWORD}", "the-password-itself"
    )
    with pytest.raises(AgreementError) as refused:
        parse_agreement(text, "t.yaml", make_plugin_manager().connectors)
    [problem] = refused.value.problems
    assert problem.key_path == "connector.settings.body_auth.Password"


def test_an_unknown_preset_is_refused_naming_the_presets_there_are(
    server: BackgroundServer,
) -> None:
    text = agreement_text(ZnunySandbox.endpoint(server.url)).replace("znuny", "otrs-9")
    with pytest.raises(AgreementError) as refused:
        parse_agreement(text, "t.yaml", make_plugin_manager().connectors)
    [problem] = refused.value.problems
    assert problem.key_path == "connector.preset" and "znuny" in problem.message


def test_the_agreement_overrides_the_preset_key_by_key(server: BackgroundServer) -> None:
    text = agreement_text(ZnunySandbox.endpoint(server.url), parsing="strict")
    text += (
        "status_map:\n  open: viewed\n  closed unsuccessful: null\ndelivery:\n  max_attempts: 3\n"
    )
    agreement = parse_agreement(text, "t.yaml", make_plugin_manager().connectors)
    assert agreement.connector_settings["parsing"] == "strict"
    assert agreement.connector_settings["find"]["operation"] == "TicketSearch"  # the preset's
    assert agreement.status_map["open"] is ReferralState.VIEWED
    assert "closed unsuccessful" not in agreement.status_map
    assert agreement.delivery == {"idempotency": "lookup", "max_attempts": 3}
    assert agreement.mapping["Ticket.Title"] == "subject"


def test_agreements_check_tells_right_from_wrong_credentials_in_the_body(
    agreement: Agreement, tmp_path: Path
) -> None:
    right = connect(agreement, tmp_path).check()
    assert right.ok, right.problems  # the preset's mapping, body_auth and session fit the WSDL
    wrong = {**ENVIRONMENT, "SAMAD_TELECOM_ZNUNY_PASSWORD": "not-it"}
    refused = connect(agreement, tmp_path, wrong).check()
    assert not refused.ok
    assert any("refused our credentials" in p and "body_auth" in p for p in refused.problems)
