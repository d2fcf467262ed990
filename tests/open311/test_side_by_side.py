"""An Open311 client and a 111 operator file side by side; both requests are routed, delivered
by the real worker to the agencies' own systems (the REST and SOAP sandboxes), and answered —
and each dialect reads the other's request the same way."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from tests.core.waiting import wait_for, wait_for_states
from tests.support.fixtures import Sandboxes
from tests.support.requests import citizen_request

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(120)]


def test_an_open311_request_and_a_v1_request_are_both_routed_delivered_and_answered(
    open311: httpx.Client,
    api: httpx.Client,
    api_key: str,
    file_request: Callable[..., str],
    clean_sandboxes: Sandboxes,
) -> None:
    from_open311 = file_request(service_code="water.leak")
    from_v1 = api.post("/v1/requests", json=citizen_request(category="power.outage")).json()
    from_operator = from_v1["tracking_code"]
    assert from_v1["referrals"][0]["agreement_id"] == "golestan-power"

    water = wait_for_states(api, from_open311, ["resolved"], timeout=60)
    power = wait_for_states(api, from_operator, ["resolved"], timeout=60)
    ticket = clean_sandboxes.water.tickets.get(water["referrals"][0]["external_id"])
    assert (
        clean_sandboxes.water.tickets.describe(ticket)["data"]["ref"]
        == (water["referrals"][0]["reference"])
    )
    assert water["referrals"][0]["agreement_id"] == "golestan-water"
    assert power["referrals"][0]["delivered_at"]

    def closed() -> list[dict[str, object]] | None:
        answer = open311.get(
            "/requests.json",
            params={"service_request_id": f"{from_open311},{from_operator}", "api_key": api_key},
        ).json()
        return answer if {r["status"] for r in answer} == {"closed"} else None

    both = {r["service_request_id"]: r for r in wait_for(closed, 30, what="both closed")}
    assert both[from_open311]["status_notes"] == water["result"]
    assert both[from_operator]["status_notes"] == power["result"]
    assert both[from_operator]["service_code"] == "power.outage"
    assert "Golestan" in str(both[from_operator]["agency_responsible"])
