"""Pushing referrals to the REST sandbox through the REST connector, over real HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.rest.connector import RestConnector
from hub.core.errors import ConnectorError, ConnectorRefused
from hub.plugins.connector import ConnectorContext, OutgoingReferral
from hub.sandbox.rest import AuthMode, RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from tests.support.tickets import assert_one_ticket_each

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


MakeConnector = Callable[[dict[str, Any]], RestConnector]


def referral(number: int = 1, **fields: Any) -> OutgoingReferral:
    """Referral ``number``, its fields mapped as the water agreement maps them (``ref`` too)."""
    reference = f"R-1405-{number:07d}-1"
    return OutgoingReferral(
        referral_id=number,
        reference=reference,
        tracking_code=f"14050{number:05d}",
        idempotency_key=f"golestan-water:{number}",
        agreement_id="golestan-water",
        fields={**FIELDS, "ref": reference, **fields},
        request={},
    )


@pytest.fixture
def connector_for(tmp_path: Path) -> Iterator[MakeConnector]:
    """Connectors for the test, each closed at its end even when the test fails."""
    made: list[RestConnector] = []

    def make(settings: dict[str, Any]) -> RestConnector:
        made.append(RestConnector(settings, ConnectorContext("gw", {}, {}, tmp_path, tmp_path)))
        return made[-1]

    yield make
    for connector in made:
        connector.close()


@pytest.fixture
def sandbox() -> Iterator[tuple[RestSandboxApp, str]]:
    with running_rest_sandbox(RestSandboxSettings(step_seconds=60)) as (app, server):
        yield app, server.url


def test_push_opens_a_ticket_and_returns_its_id(sandbox, connector_for) -> None:
    _, url = sandbox
    connector = connector_for(rest_settings(url))
    receipt = connector.push(referral(7))
    assert receipt.referral_id == 7
    assert receipt.external_id.startswith("WTR-")
    ticket = httpx.get(f"{url}/api/v1/tickets/{receipt.external_id}").json()["ticket"]
    assert ticket["data"] == {**FIELDS, "ref": "R-1405-0000007-1"}
    assert receipt.raw["ticket"]["status"] == "NEW"


def test_pushing_the_same_referral_twice_opens_one_ticket(sandbox, connector_for) -> None:
    app, url = sandbox
    connector = connector_for(rest_settings(url))
    first, second = referral(1), referral(2)
    pushed = [connector.push(r) for r in (first, first, second)]  # the first one retried
    assert_one_ticket_each(app.tickets, [first.reference, second.reference])
    assert pushed[0].external_id == pushed[1].external_id != pushed[2].external_id


def test_the_idempotency_header_name_comes_from_the_settings(connector_for) -> None:
    settings = RestSandboxSettings(idempotency_header="X-Request-Id")
    with running_rest_sandbox(settings) as (app, server):
        push = {"path": "/api/v1/tickets", "external_id": "ticket.id"}
        named = {**push, "idempotency_header": "X-Request-Id"}
        matching = connector_for(rest_settings(server.url, push=named))
        assert matching.push(referral(1)) == matching.push(referral(1))
        assert app.tickets.stats().tickets == 1
        default = connector_for(rest_settings(server.url, push=push))
        default.push(referral(2))
        default.push(referral(2))
        assert app.tickets.stats().tickets == 3  # under the wrong name the agency cannot dedupe


def test_a_referral_the_agency_finds_incomplete_is_refused_for_good(sandbox, connector_for) -> None:
    _, url = sandbox
    connector = connector_for(rest_settings(url))
    with pytest.raises(ConnectorRefused) as refused:
        connector.push(referral(1, description=""))
    assert refused.value.permanent
    assert f"{url}/api/v1/tickets" in str(refused.value)
    assert "422" in str(refused.value)
    assert "description" in refused.value.detail["body"]


def test_a_base_url_with_a_path_keeps_it(sandbox, connector_for) -> None:
    _, url = sandbox
    settings = rest_settings(f"{url}/api", push={"path": "/v1/tickets", "external_id": "ticket.id"})
    connector = connector_for(settings)
    assert connector.push(referral(1)).external_id.startswith("WTR-")


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
    sandbox_settings: RestSandboxSettings, good: dict, bad: dict, connector_for: MakeConnector
) -> None:
    with running_rest_sandbox(sandbox_settings) as (app, server):
        accepted = connector_for(rest_settings(server.url, auth=good, check_path="/api/v1/health"))
        assert accepted.push(referral(1)).external_id
        assert accepted.check().ok
        refused = connector_for(rest_settings(server.url, auth=bad))
        with pytest.raises(ConnectorError) as error:
            refused.push(referral(2))
        assert error.value.permanent
        assert "401" in error.value.message
        assert app.tickets.stats().tickets == 1
