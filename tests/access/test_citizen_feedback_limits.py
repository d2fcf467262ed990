"""A citizen's feedback (tracking code + mobile) is rate-limited like the look-up it resembles."""

from __future__ import annotations

import random
from collections.abc import Callable

import httpx

from tests.support.requests import citizen_request


def _from_address() -> dict[str, str]:
    """A client address of its own (the API trusts X-Forwarded-For from loopback); counts live
    in Redis for a minute, so a rerun must not meet the last run's addresses or codes."""
    return {"X-Forwarded-For": "10." + ".".join(str(random.randrange(1, 255)) for _ in range(3))}


def test_guessing_a_cases_mobile_through_feedback_is_slowed_per_tracking_code(
    api: httpx.Client, api_as: Callable[..., httpx.Client]
) -> None:
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    citizen = api_as(None)
    answers = [
        citizen.post(
            f"/v1/requests/{code}/feedback",
            json={"mobile": f"0912000{i:04d}", "rating": 1},
            headers=_from_address(),  # a new address each time: only the code's limit applies
        )
        for i in range(8)
    ]
    statuses = [a.status_code for a in answers]
    assert statuses[:5] == [404] * 5 and set(statuses[5:]) == {429}, statuses
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert answers[-1].json()["detail_fa"]


def test_one_address_trying_many_codes_is_slowed(api_as: Callable[..., httpx.Client]) -> None:
    citizen = api_as(None)
    address = _from_address()
    codes = [f"{random.randrange(10**10, 10**11)}" for _ in range(12)]
    statuses = [
        citizen.post(
            f"/v1/requests/{code}/feedback",
            json={"mobile": "09121234567", "rating": 2},
            headers=address,
        ).status_code
        for code in codes
    ]
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429, 429], statuses


def test_the_call_centre_records_feedback_for_many_citizens_unlimited(api: httpx.Client) -> None:
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    statuses = {
        api.post(
            f"/v1/requests/{code}/feedback", json={"mobile": "09121234567", "rating": 3}
        ).status_code
        for _ in range(8)
    }
    assert statuses == {409}  # no result to judge yet, every time: never 429
