"""``agreements draft --wsdl``: a SOAP agreement drafted from the agency's own WSDL.

Three WSDLs: a municipality's written for these tests (Persian field names, an ``xsd:choice``
whose first branch is a sequence, types nested two deep, a one-element answer to the push, an
enumerated status), the power company's copy in ``config/wsdl/`` (its hand-written agreement is
what the draft should come close to), and the SOAP sandbox's own, served over HTTP — whose
completed draft then pushes and polls a real case.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.soap import clients
from connectors.soap.connector import SoapConnector
from connectors.soap.draft import describe
from hub.agreements.drafts.description import UnknownOperation
from hub.agreements.drafts.guesses import FULL_NAME
from hub.agreements.drafts.render import render
from hub.agreements.model import Agreement
from hub.core.errors import AgreementError
from hub.core.states import ReferralState
from hub.plugins.connector import ConnectorContext
from hub.sandbox.server import BackgroundServer
from hub.sandbox.soap import STATUS_TITLES, SoapSandbox
from tests.agreements_draft.completion import (
    IDENTITY,
    complete,
    outgoing,
    todo_paths,
    validated,
)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CONFIG = ROOT / "config"
POWER = yaml.safe_load((CONFIG / "agreements/golestan-power.yaml").read_text(encoding="utf-8"))
MUNICIPALITY_STATES = {
    "SABT": "delivered",
    "ROYAT": "viewed",
    "EGHDAM": "in_progress",
    "ANJAM": "resolved",
    "RADD": "returned",
}


def draft(location: str, operation: str | None = None) -> tuple[str, dict[str, Any]]:
    text = render(describe(location, CONFIG, operation))
    return text, yaml.safe_load(text)


@pytest.fixture(scope="module")
def municipality() -> tuple[str, dict[str, Any]]:
    return draft(str(HERE / "municipality.wsdl"))


@pytest.fixture(autouse=True)
def no_cached_clients() -> Iterator[None]:
    yield
    clients.forget_clients()


def test_it_maps_persian_field_names_and_nested_types_to_the_shared_request(
    municipality: tuple[str, dict[str, Any]],
) -> None:
    text, doc = municipality
    assert doc["mapping"] == {
        "Onvan": "subject",
        "Sharh": "description",
        "Motaghazi.FullName": FULL_NAME,
        "Motaghazi.CodeMelli": "citizen.national_id",
        "Motaghazi.Mobile": "citizen.mobile",
        "Makan.Shahrestan": "location.county",
        "Makan.Neshani.Matn": "location.address",
        "Olaviat": "TODO: int",
    }
    assert "Onvan: subject  # required; guess: the request's subject" in text
    assert "# Makan.Neshani.KodPosti: TODO  (optional string, no guess" in text
    assert doc["share_citizen"] == ["national_id", "first_name", "last_name", "mobile"]
    assert "national_id only where the agreement allows it" in text


def test_an_xsd_choice_lists_its_branches_and_takes_the_first(
    municipality: tuple[str, dict[str, Any]],
) -> None:
    text, doc = municipality
    assert "  # xsd:choice in Motaghazi: send one of\n" in text
    assert "  #   (1) FullName + CodeMelli — taken here\n" in text
    assert "  #   (2) ShenaseSherkat\n" in text
    assert "  # Motaghazi.ShenaseSherkat: TODO  (string)\n" in text
    # The choice itself is required, so the branch taken is too.
    assert "Motaghazi.CodeMelli: citizen.national_id  # required; guess:" in text
    assert "Motaghazi.ShenaseSherkat" not in doc["mapping"]


def test_the_idempotency_key_and_the_reference_travel_in_the_connector_s_own_fields(
    municipality: tuple[str, dict[str, Any]],
) -> None:
    text, doc = municipality
    settings = doc["connector"]["settings"]
    assert settings["idempotency"] == {"field": "IdempotencyKey"}
    assert settings["reference_field"] == "ExternalRef"
    assert "# IdempotencyKey: the referral's idempotency key, sent by connector.settings" in text
    assert doc["delivery"]["idempotency"] == "none"
    for choice in ("header —", "field  —", "lookup —", "none   —"):
        assert f"  #   {choice}" in text
    assert "keeps IdempotencyKey unique" in text


def test_a_one_element_answer_is_the_case_id(municipality: tuple[str, dict[str, Any]]) -> None:
    text, doc = municipality
    assert doc["connector"]["settings"]["push"] == {"external_id": "ShomarePervande"}
    assert "the one element of SabtDarkhast's answer: the case id" in text


def test_the_poll_operation_and_the_statuses_it_enumerates_are_found(
    municipality: tuple[str, dict[str, Any]],
) -> None:
    text, doc = municipality
    settings = doc["connector"]["settings"]
    assert settings["operations"] == {"push": "SabtDarkhast", "poll": "EstelamVaziat"}
    assert settings["poll"] == {
        "case_field": "ShomarePervande",
        "external_id": "ShomarePervande",
        "status": "Vaziat",
        "result": "Pasokh",
        "changed_at": "TarikhTaghir",
    }
    assert doc["status_map"] == dict.fromkeys(MUNICIPALITY_STATES, "TODO")
    assert "  RADD: TODO  # عودت — خارج از حیطه\n" in text
    assert "# Read from: Vaziat (VaziatCode) in EstelamVaziat's answer" in text
    for state in ReferralState.DELIVERED, ReferralState.FORWARDED, ReferralState.RETURNED:
        assert f"{state.value} (" in text and state.label_fa in text


def test_an_unfilled_draft_is_refused_by_validate(municipality: tuple[str, dict[str, Any]]) -> None:
    _, doc = municipality
    with pytest.raises(AgreementError) as refused:
        validated(doc)
    problems = {problem.key_path for problem in refused.value.problems}
    assert {"id", "routes.0.categories.0", "agency.contacts.0.email", "status_map.SABT"} <= problems


def test_the_completed_draft_is_a_valid_agreement(
    municipality: tuple[str, dict[str, Any]],
) -> None:
    text, doc = municipality
    assert set(todo_paths(doc)) == {
        "id",
        *IDENTITY,
        "mapping.Olaviat",
        *(f"status_map.{code}" for code in MUNICIPALITY_STATES),
    }
    answers = {
        **IDENTITY,
        "id": "gorgan-shahrdari",
        "mapping.Olaviat": {"const": 2},
        "status_map": MUNICIPALITY_STATES,
    }
    completed = complete(text, answers)
    agreement = validated(completed)
    assert agreement.status_map["ANJAM"] is ReferralState.RESOLVED
    assert agreement.mapping["Makan.Neshani.Matn"] == "location.address"
    assert agreement.connector_type == "soap"
    # A required field left as the draft wrote it is still refused, by name.
    completed["mapping"]["Olaviat"] = "TODO: int"
    with pytest.raises(AgreementError) as refused:
        validated(completed)
    assert [problem.key_path for problem in refused.value.problems] == ["mapping.Olaviat"]


def test_the_power_company_s_wsdl_drafts_what_its_hand_written_agreement_says() -> None:
    text, doc = draft(str(CONFIG / "wsdl/golestan-power.wsdl"))
    settings, written = doc["connector"]["settings"], POWER["connector"]["settings"]
    assert settings["wsdl"] == "wsdl/golestan-power.wsdl"
    assert settings["reference_field"] == written["reference_field"]
    for key in ("operations", "idempotency", "push", "poll"):  # the author may have added more
        assert settings[key].items() <= written[key].items(), key
    # The agreement's author added a fallback to the address the draft guesses.
    expected = {**POWER["mapping"], "Location.Text": "location.address"}
    assert expected.items() <= doc["mapping"].items()
    assert doc["status_map"] == {"TODO": "TODO"}
    assert "StatusCode (int) in GetCaseStatus's answer; the WSDL lists no values for it" in text
    assert "# Subscriber.BillId: TODO  (optional string, no guess" in text


def test_a_draft_from_the_sandbox_s_served_wsdl_pushes_and_polls_a_real_case(
    tmp_path: Path,
) -> None:
    sandbox = SoapSandbox(step_seconds=0.01)
    with BackgroundServer(sandbox.app()) as server:
        text, doc = draft(f"{server.url}/?wsdl", operation="RegisterCase")
        assert doc["connector"]["settings"]["wsdl"] == f"{server.url}/?wsdl"
        assert f"# endpoint: {server.url}/  # only to call elsewhere" in text
        states = ["delivered", "viewed", "in_progress", "forwarded", "resolved", "returned"]
        answers = {
            **IDENTITY,
            "id": "power-draft",
            "status_map": dict(zip(map(str, STATUS_TITLES), states, strict=True)),
        }
        agreement = validated(complete(text, answers))
        connector = SoapConnector(agreement.connector_settings, _context(agreement, tmp_path))
        health = connector.check()
        assert health.ok, health.problems
        receipt = connector.push(outgoing(agreement, due=datetime.now(UTC) + timedelta(days=3)))
        assert receipt.external_id.startswith("BRQ/")
        [update] = connector.poll([receipt])
    assert update.external_id == receipt.external_id
    assert update.status in agreement.status_map


def _context(agreement: Agreement, tmp_path: Path) -> ConnectorContext:
    return ConnectorContext(
        agreement.id, agreement.mapping, dict(agreement.status_map), CONFIG, tmp_path
    )


def test_an_operation_the_wsdl_lacks_is_named_with_those_it_has() -> None:
    with pytest.raises(UnknownOperation, match="no operation 'Open'; it offers RegisterCase"):
        describe(str(CONFIG / "wsdl/golestan-power.wsdl"), CONFIG, "Open")
