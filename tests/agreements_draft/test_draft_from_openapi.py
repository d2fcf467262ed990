"""``agreements draft --openapi``: a REST agreement drafted from the agency's OpenAPI document.

Two descriptions: the REST sandbox's own (FastAPI's ``app.openapi()``, served and read from its
URL — it shows paths but no bodies, so the draft says what is left to do by hand, and once that is
done its agreement opens a real ticket), and a gas company's written for these tests (``$ref``s,
``allOf``, a ``oneOf``, a recursive type, a bearer token, an enumerated status with labels).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from hub.agreements.drafts.description import DescriptionError, UnknownOperation
from hub.agreements.drafts.guesses import FULL_NAME
from hub.agreements.drafts.openapi import describe
from hub.agreements.drafts.render import render
from hub.plugins.connector import ConnectorContext
from hub.plugins.manager import make_plugin_manager
from hub.sandbox.rest import running_rest_sandbox
from hub.sandbox.server import BackgroundServer
from tests.agreements_draft.completion import (
    IDENTITY,
    complete,
    outgoing,
    todo_paths,
    validated,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
COMPLAINTS = HERE / "complaints-api.yaml"
WATER = yaml.safe_load((ROOT / "config/agreements/golestan-water.yaml").read_text("utf-8"))
REQUEST_TYPES = ("request", "complaint", "suggestion", "criticism", "report", "appreciation")
GAS_STATES = {
    "OPEN": "delivered",
    "SEEN": "viewed",
    "WORKING": "in_progress",
    "SENT_TO_DISTRICT": "forwarded",
    "DONE": "resolved",
    "REJECTED": "returned",
}


def draft(location: str, operation: str | None = None) -> tuple[str, dict[str, Any]]:
    text = render(describe(location, operation))
    return text, yaml.safe_load(text)


@pytest.fixture(scope="module")
def crm() -> Iterator[BackgroundServer]:
    with running_rest_sandbox() as (_, server):
        yield server


@pytest.fixture(scope="module")
def complaints() -> tuple[str, dict[str, Any]]:
    return draft(str(COMPLAINTS))


def test_the_sandbox_s_openapi_gives_its_paths_and_says_what_it_does_not_show(
    crm: BackgroundServer,
) -> None:
    text, doc = draft(f"{crm.url}/openapi.json")
    settings = doc["connector"]["settings"]
    assert settings["base_url"] == crm.url
    assert settings["auth"] == {"type": "none"}
    assert settings["push"] == {"method": "POST", "path": "/api/v1/tickets", "external_id": "TODO"}
    poll = settings["poll"]
    assert poll["path"] == "/api/v1/tickets/{external_id}"
    assert (poll["batch_path"], poll["batch_ids_field"]) == ("/api/v1/tickets/batch-status", "ids")
    assert settings["check_path"] == "/api/v1/health"
    reminders = "/api/v1/tickets/{external_id}/reminders"
    assert settings["remind"] == {"path": reminders, "method": "POST"}
    assert doc["mapping"] == {}
    assert "#   - open_ticket_api_v1_tickets_post shows no JSON body: write the mapping" in text
    assert "the description names no authentication: ask the agency" in text
    assert doc["status_map"] == {"TODO": "TODO"}


def test_the_completed_sandbox_draft_opens_and_follows_a_real_ticket(
    crm: BackgroundServer, tmp_path: Path
) -> None:
    text, doc = draft(f"{crm.url}/openapi.json")
    answers = {
        **IDENTITY,
        "id": "water-draft",
        "mapping": {"title": "subject", "description": "description", "ref": "referral.reference"},
        "connector.settings.push.external_id": "ticket.id",
        "connector.settings.poll.external_id": "ticket.id",
        "connector.settings.poll.status": "ticket.status",
        "status_map": WATER["status_map"],
    }
    assert set(todo_paths(doc)) <= {*answers, "status_map.TODO"}
    agreement = validated(complete(text, answers))
    context = ConnectorContext(agreement.id, agreement.mapping, {}, ROOT / "config", tmp_path)
    connector = make_plugin_manager().connectors.get("rest")(agreement.connector_settings, context)
    try:
        assert connector.check().ok
        receipt = connector.push(outgoing(agreement, due=datetime.now(UTC) + timedelta(days=7)))
        [update] = connector.poll([receipt])
    finally:
        connector.close()
    assert receipt.external_id.startswith("WTR-")
    assert update.status in agreement.status_map


def test_a_body_of_refs_is_mapped_by_its_english_and_persian_names(
    complaints: tuple[str, dict[str, Any]],
) -> None:
    text, doc = complaints
    mapping = doc["mapping"]
    assert {key: mapping[key] for key in mapping if key != "kind"} == {
        "onvan": "subject",
        "sharh": "description",
        "externalRef": "referral.reference",
        "caller.fullName": FULL_NAME,
        "caller.mobile": "citizen.mobile",
        "place.shahrestan": "location.county",
        "place.neshani": "location.address",
        "applicant.codeMelli": "citizen.national_id",
    }
    assert "caller.guardian.fullName" not in text  # the recursive type, entered once
    assert "  # oneOf in applicant: send one of\n" in text
    assert "  # applicant.companyId: TODO  (string)\n" in text
    assert "  # priority: TODO  (optional integer, no guess" in text


def test_an_agency_s_own_type_codes_wait_for_a_translation(
    complaints: tuple[str, dict[str, Any]],
) -> None:
    text, doc = complaints
    assert doc["mapping"]["kind"] == {
        "expr": "type",
        "values": dict.fromkeys(REQUEST_TYPES, "TODO"),
        "default": "TODO",
    }
    assert "kind:  # required; the request type, in the agency's codes: C, R, O" in text


def test_answers_servers_and_security_become_the_connector_s_settings(
    complaints: tuple[str, dict[str, Any]],
) -> None:
    text, doc = complaints
    settings = doc["connector"]["settings"]
    assert settings["base_url"] == "https://crm.gas-golestan.example/v2"
    token = "${env:SAMAD_GOLESTAN_GAS_COMPLAINTS_TOKEN}"
    assert settings["auth"] == {"type": "bearer", "token": token}
    assert settings["push"] == {
        "method": "POST",
        "path": "/complaints",
        "idempotency_header": "Idempotency-Key",
        "external_id": "data.complaintId",
    }
    assert settings["poll"] == {
        "path": "/complaints/{external_id}",
        "batch_path": "/complaints/statuses",
        "batch_ids_field": "ids",
        "batch_size": 50,
        "items": "results",
        "external_id": "complaintId",
        "status": "status",
        "result": "resolution",
        "updated_at": "updatedAt",
    }
    assert settings["check_path"] == "/ping"
    assert doc["delivery"]["idempotency"] == "none"
    assert "createComplaint takes a Idempotency-Key header; if the agency confirms" in text


def test_the_enumerated_statuses_keep_their_persian_labels(
    complaints: tuple[str, dict[str, Any]],
) -> None:
    text, doc = complaints
    assert doc["status_map"] == dict.fromkeys(GAS_STATES, "TODO")
    assert "  SENT_TO_DISTRICT: TODO  # ارجاع به اداره شهرستان\n" in text
    assert "# Read from: status in getComplaint's answer" in text


def test_the_completed_complaints_draft_is_a_valid_agreement(
    complaints: tuple[str, dict[str, Any]],
) -> None:
    text, doc = complaints
    codes = {"request": "R", "complaint": "C"}
    kind = {"expr": "type", "values": codes, "default": "O"}
    answers = {**IDENTITY, "id": "golestan-gas", "mapping.kind": kind, "status_map": GAS_STATES}
    assert set(todo_paths(doc)) == {
        "id",
        *IDENTITY,
        *(f"mapping.kind.values.{request_type}" for request_type in REQUEST_TYPES),
        "mapping.kind.default",
        *(f"status_map.{code}" for code in GAS_STATES),
    }
    agreement = validated(complete(text, answers))
    assert agreement.mapping["kind"] == kind
    assert agreement.connector_settings["auth"]["type"] == "bearer"


def test_an_operation_id_chooses_the_push_and_a_get_cannot_be_one() -> None:
    text, _ = draft(str(COMPLAINTS), "complaintStatuses")
    assert "push operation complaintStatuses" in text
    with pytest.raises(UnknownOperation, match="getComplaint is a GET"):
        describe(str(COMPLAINTS), "getComplaint")
    with pytest.raises(UnknownOperation, match="no operationId 'open'; its POST/PUT operations"):
        describe(str(COMPLAINTS), "open")


def test_a_document_that_is_not_openapi_is_refused_by_name(tmp_path: Path) -> None:
    schema = ROOT / "schemas/agreement.schema.json"
    with pytest.raises(DescriptionError, match="is not an OpenAPI description"):
        describe(str(schema))
    with pytest.raises(DescriptionError, match="could not load the OpenAPI description"):
        describe(str(tmp_path / "missing.json"))
