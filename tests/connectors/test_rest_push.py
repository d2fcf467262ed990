"""Pushing referrals to the REST sandbox through the REST connector, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.rest.connector import RestConnector
from hub.connector import ConnectorContext, OutgoingReferral
from hub.errors import ConnectorError, ConnectorRefused
from hub.sandbox.rest import AuthMode, RestSandboxApp, RestSandboxSettings, running_rest_sandbox

FIELDS = {
    "title": "نشت فاضلاب در کوچه",
    "description": "فاضلاب از منهول بیرون می‌زند",
    "caller": {"mobile": "09111234567", "name": "مریم احمدی"},
    "county": "گرگان",
}


def rest_settings(base_url: str, **overrides: Any) -> dict[str, Any]:
    return {
        "base_url": base_url,
        "timeout_seconds": 2,
        "push": {"path": "/api/v1/tickets", "external_id": "ticket.id"},
        "poll": {
            "path": "/api/v1/tickets/{external_id}",
            "external_id": "ticket.id",
            "status": "ticket.status",
        },
        **overrides,
    }


def connector_for(settings: dict[str, Any], tmp_path: Path) -> RestConnector:
    context = ConnectorContext("golestan-water", {}, {}, tmp_path, tmp_path)
    return RestConnector(settings, context)


def referral(number: int = 1, **fields: Any) -> OutgoingReferral:
    return OutgoingReferral(
        referral_id=number,
        reference=f"R-1405-{number:07d}-1",
        tracking_code=f"14050{number:05d}",
        idempotency_key=f"golestan-water:{number}",
        agreement_id="golestan-water",
        fields={**FIELDS, **fields},
        request={},
    )


@pytest.fixture
def sandbox() -> Iterator[tuple[RestSandboxApp, str]]:
    with running_rest_sandbox(RestSandboxSettings(step_seconds=60)) as (app, server):
        yield app, server.url


def test_push_opens_a_ticket_and_returns_its_id(sandbox, tmp_path: Path) -> None:
    _, url = sandbox
    connector = connector_for(rest_settings(url), tmp_path)
    receipt = connector.push(referral(7))
    assert receipt.referral_id == 7
    assert receipt.external_id.startswith("WTR-")
    ticket = httpx.get(f"{url}/api/v1/tickets/{receipt.external_id}").json()["ticket"]
    assert ticket["data"] == FIELDS
    assert receipt.raw["ticket"]["status"] == "NEW"
    connector.close()


def test_pushing_the_same_referral_twice_opens_one_ticket(sandbox, tmp_path: Path) -> None:
    app, url = sandbox
    connector = connector_for(rest_settings(url), tmp_path)
    first = connector.push(referral(1))
    retry = connector.push(referral(1))
    other = connector.push(referral(2))
    assert first.external_id == retry.external_id != other.external_id
    assert app.tickets.stats().tickets == 2
    assert app.tickets.stats().duplicates == 0
    connector.close()


def test_a_custom_idempotency_header_is_honoured(sandbox, tmp_path: Path) -> None:
    app, url = sandbox
    push = {"path": "/api/v1/tickets", "external_id": "ticket.id", "idempotency_header": "X-Req"}
    connector = connector_for(rest_settings(url, push=push), tmp_path)
    connector.push(referral(1))
    connector.push(referral(1))
    # The sandbox only knows Idempotency-Key, so under another header it cannot deduplicate:
    # this proves the header name really comes from the settings.
    assert app.tickets.stats().tickets == 2
    connector.close()


def test_a_referral_the_agency_finds_incomplete_is_refused_for_good(sandbox, tmp_path) -> None:
    _, url = sandbox
    connector = connector_for(rest_settings(url), tmp_path)
    with pytest.raises(ConnectorRefused) as refused:
        connector.push(referral(1, description=""))
    assert refused.value.permanent
    assert f"{url}/api/v1/tickets" in str(refused.value)
    assert "422" in str(refused.value)
    assert "description" in refused.value.detail["body"]
    connector.close()


def test_a_base_url_with_a_path_keeps_it(sandbox, tmp_path: Path) -> None:
    _, url = sandbox
    settings = rest_settings(f"{url}/api", push={"path": "/v1/tickets", "external_id": "ticket.id"})
    connector = connector_for(settings, tmp_path)
    assert connector.push(referral(1)).external_id.startswith("WTR-")
    connector.close()


AUTH_CASES = [
    (
        RestSandboxSettings(auth=AuthMode.BEARER, token="water-token"),
        {"type": "bearer", "token": "water-token"},
        {"type": "bearer", "token": "stale-token"},
    ),
    (
        RestSandboxSettings(auth=AuthMode.BASIC, username="samad", password="pw"),
        {"type": "basic", "username": "samad", "password": "pw"},
        {"type": "basic", "username": "samad", "password": "old-pw"},
    ),
    (
        RestSandboxSettings(auth=AuthMode.API_KEY, api_key_header="X-Water-Key", token="k1"),
        {"type": "api_key", "header": "X-Water-Key", "token": "k1"},
        {"type": "api_key", "header": "X-Water-Key", "token": "k0"},
    ),
    (
        RestSandboxSettings(auth=AuthMode.BEARER, token="water-token"),
        {"type": "bearer", "token": "water-token"},
        {"type": "none"},
    ),
]


@pytest.mark.parametrize(
    ("sandbox_settings", "good", "bad"), AUTH_CASES, ids=["bearer", "basic", "api_key", "none"]
)
def test_each_auth_mode_is_accepted_and_wrong_credentials_are_refused_for_good(
    sandbox_settings: RestSandboxSettings, good: dict, bad: dict, tmp_path: Path
) -> None:
    with running_rest_sandbox(sandbox_settings) as (app, server):
        accepted = connector_for(rest_settings(server.url, auth=good), tmp_path)
        assert accepted.push(referral(1)).external_id
        assert accepted.check().ok
        refused = connector_for(rest_settings(server.url, auth=bad), tmp_path)
        with pytest.raises(ConnectorError) as error:
            refused.push(referral(2))
        assert error.value.permanent
        assert "401" in error.value.message
        assert app.tickets.stats().tickets == 1
        for connector in (accepted, refused):
            connector.close()
