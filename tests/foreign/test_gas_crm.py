"""The gas company's REST CRM, onboarded from its OpenAPI document: whatever its pushes do after
opening a complaint, the company holds exactly one complaint per referral and the hub never calls
one failed that the company has.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.sandbox.server import BackgroundServer
from tests.foreign.conftest import GAS_TOKEN
from tests.foreign.gas_crm import Fault, GasCrm
from tests.foreign.onboarding import (
    DELIVERED,
    QUICK_DELIVERY,
    alerts,
    completed,
    draft,
    put_in_place,
    samad_hub,
    settled,
    states_passed,
    submit,
)

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(600)]
AFTER_ACTING = [Fault.CREATED_THEN_TIMEOUT, Fault.CREATED_THEN_500, Fault.CREATED_THEN_GARBAGE]
STAGES = {"ثبت شده": "delivered", "در حال بررسی": "viewed"}
STAGES |= {"اعزام اکیپ": "in_progress", "بسته شد": "resolved"}


class Onboarded:
    def __init__(self, crm: GasCrm, agreement_id: str, category: str) -> None:
        self.crm, self.agreement_id, self.category = crm, agreement_id, category


@pytest.fixture(scope="module")
def crm(database: str, broker: str) -> Iterator[tuple[GasCrm, BackgroundServer]]:
    gas = GasCrm(token=GAS_TOKEN, step_seconds=0.5)
    with BackgroundServer(gas.app()) as server:
        yield gas, server


@pytest.fixture(scope="module")
def drafted(crm: tuple[GasCrm, BackgroundServer], tmp_path_factory: pytest.TempPathFactory) -> str:
    """The draft, once: ``samad-hub agreements draft --openapi <the CRM's openapi.json>``."""
    _, server = crm
    file = tmp_path_factory.mktemp("drafts") / "gas-crm.yaml"
    return draft("--openapi", f"{server.url}/openapi.json", file)


def _onboard(
    crm: tuple[GasCrm, BackgroundServer], text: str, api: httpx.Client, idempotency: str
) -> Iterator[Onboarded]:
    gas, _ = crm
    suffix = uuid.uuid4().hex[:8]
    agency = Onboarded(gas, f"gas-{suffix}", f"foreign.gas_{suffix}")
    document = completed(
        text,
        agency.agreement_id,
        {
            "agency.name_fa": "شرکت گاز استان گلستان",
            "agency.name_en": "Golestan Province Gas Company",
            "routes.0.categories.0": agency.category,
            "mapping.channel": {"const": "samad-111"},
            "status_map": STAGES,
            "polling": {"interval_seconds": 1, "batch_size": 50},
            "delivery": {"idempotency": idempotency, **QUICK_DELIVERY},
        },
    )
    settings: dict[str, Any] = document["connector"]["settings"]
    settings["timeout_seconds"] = 1  # the CRM's slow answer is 3 s
    if idempotency == "lookup":  # the admin read searchComplaints in the CRM's document
        settings["find"] = {
            "path": "/api/v2/complaints?externalRef={reference}",
            "items": "data.complaints",
            "external_id": "trackingNo",
        }
    path = put_in_place(document, api)
    try:
        yield agency
    finally:
        gas.faults.clear()
        path.unlink()


@pytest.fixture
def no_dedupe(
    crm: tuple[GasCrm, BackgroundServer], drafted: str, api: httpx.Client
) -> Iterator[Onboarded]:
    """What the company said: it cannot de-duplicate (``idempotency: none``, the draft's)."""
    yield from _onboard(crm, drafted, api, "none")


@pytest.fixture
def looks_up(
    crm: tuple[GasCrm, BackgroundServer], drafted: str, api: httpx.Client
) -> Iterator[Onboarded]:
    """The same company, its complaints found by our reference (``idempotency: lookup``)."""
    yield from _onboard(crm, drafted, api, "lookup")


def test_the_draft_reads_the_wrapped_answers_the_token_header_and_the_persian_stages(
    drafted: str,
) -> None:
    assert "external_id: data.complaint.trackingNo" in drafted
    assert "status: data.complaint.stage" in drafted
    assert 'auth: {type: api_key, header: X-Gas-Token, token: "${env:SAMAD_GAS_CRM_TOKEN}"}' in (
        drafted
    )
    assert "check_path: /api/v2/health" in drafted
    assert "externalRef: referral.reference" in drafted  # an optional (nullable) field too
    for stage in STAGES:
        assert f"  {stage}: TODO" in drafted
    assert "idempotency: none" in drafted


@pytest.mark.parametrize("fault", AFTER_ACTING, ids=lambda f: f.value)
def test_an_answer_lost_after_the_complaint_was_opened_leaves_one_complaint_and_unconfirmed(
    api: httpx.Client, no_dedupe: Onboarded, fault: Fault
) -> None:
    no_dedupe.crm.faults.append(fault)
    code = submit(api, no_dedupe.category)
    referral = settled(api, code, ("unconfirmed", "delivery_failed"), "settled")
    assert referral.state == "unconfirmed"
    assert len(no_dedupe.crm.for_reference(referral.reference)) == 1
    time.sleep(2)  # well past every backoff of the agreement: nothing pushes it again
    assert len(no_dedupe.crm.for_reference(referral.reference)) == 1
    assert "delivery_failed" not in states_passed(referral.id)
    assert "delivery_unconfirmed" in alerts(referral.id)
    assert "delivery_failed" not in alerts(referral.id)


@pytest.mark.parametrize("fault", AFTER_ACTING, ids=lambda f: f.value)
def test_where_complaints_can_be_looked_up_the_lost_answer_ends_delivered_with_the_one_found(
    api: httpx.Client, looks_up: Onboarded, fault: Fault
) -> None:
    looks_up.crm.faults.append(fault)
    code = submit(api, looks_up.category)
    referral = settled(api, code, (*DELIVERED, "delivery_failed"), "found by its reference")
    assert looks_up.crm.for_reference(referral.reference) == [referral.external_id]
    assert "delivery_failed" not in states_passed(referral.id)


def test_a_503_before_anything_was_opened_is_retried_to_one_complaint(
    api: httpx.Client, no_dedupe: Onboarded
) -> None:
    no_dedupe.crm.faults.extend([Fault.UNAVAILABLE, Fault.UNAVAILABLE])
    code = submit(api, no_dedupe.category)
    referral = settled(api, code, (*DELIVERED, "delivery_failed", "unconfirmed"), "retried")
    assert referral.state in DELIVERED
    assert no_dedupe.crm.for_reference(referral.reference) == [referral.external_id]
    assert "unconfirmed" not in states_passed(referral.id)


def test_the_followed_complaint_reaches_its_persian_closing_stage(
    api: httpx.Client, no_dedupe: Onboarded
) -> None:
    code = submit(api, no_dedupe.category)
    referral = settled(api, code, ("resolved",), "resolved (بسته شد)")
    assert no_dedupe.crm.for_reference(referral.reference) == [referral.external_id]


def test_check_takes_the_right_token_and_names_the_credential_when_it_is_wrong(
    no_dedupe: Onboarded,
) -> None:
    right = samad_hub("agreements", "check", no_dedupe.agreement_id)
    assert right.returncode == 0, right.stdout + right.stderr
    wrong = samad_hub(
        "agreements", "check", no_dedupe.agreement_id, env={"SAMAD_GAS_CRM_TOKEN": "stolen"}
    )
    said = " ".join((wrong.stdout + wrong.stderr).split())
    assert wrong.returncode == 1, said
    assert "refused our credentials" in said and "connector.settings.auth" in said


def test_the_draft_file_is_not_an_agreement_until_completed(tmp_path: Path, drafted: str) -> None:
    file = tmp_path / "gas-crm.yaml"
    file.write_text(drafted, encoding="utf-8")
    refused = samad_hub("agreements", "validate", str(file))
    assert refused.returncode == 1
