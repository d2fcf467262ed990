"""The signed agency webhook, the citizen's look-up, and hostile bodies, over real HTTP."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import httpx

from hub.auth.signatures import signature
from tests.access.conftest import WEBHOOK_SECRET
from tests.support.problems import said


def _signed(body: bytes, secret: str = WEBHOOK_SECRET, at: float | None = None) -> dict:
    stamp = int(at if at is not None else time.time())
    return {
        "content-type": "application/json",
        "X-Samad-Timestamp": str(stamp),
        "X-Samad-Signature": signature(secret, stamp, body),
    }


def test_a_signed_update_is_applied_once_and_a_forged_or_stale_one_not_at_all(
    api_as: Callable[..., httpx.Client],
    api: httpx.Client,
    webhook_agreement: str,
    delivered: Callable[..., dict],
) -> None:
    case = delivered()
    hook = api_as(None)
    url = f"/v1/agencies/{webhook_agreement}/updates"
    body = json.dumps(
        {"update_id": "hook-1", "external_id": case["external_id"], "status": "ASSIGNED"}
    ).encode()
    forged = hook.post(url, content=body, headers=_signed(body, "not-the-secret"))
    stale = hook.post(url, content=body, headers=_signed(body, at=time.time() - 3600))
    assert (forged.status_code, stale.status_code) == (401, 401)
    assert "does not match" in forged.json()["detail"]
    assert "seconds from now" in stale.json()["detail"]
    state = api.get(f"/v1/requests/{case['tracking_code']}").json()["referrals"][0]["state"]
    assert state == "delivered"
    first = hook.post(url, content=body, headers=_signed(body))
    replay = hook.post(url, content=body, headers=_signed(body))
    assert first.json()["outcome"] == "applied" and replay.json()["outcome"] == "duplicate"
    state = api.get(f"/v1/requests/{case['tracking_code']}").json()["referrals"][0]["state"]
    assert state == "in_progress"


def test_a_signed_but_invalid_update_is_refused_naming_the_field(
    api_as: Callable[..., httpx.Client], webhook_agreement: str, delivered: Callable[..., dict]
) -> None:
    case = delivered()
    url = f"/v1/agencies/{webhook_agreement}/updates"
    for document, field in (
        ({"update_id": "bad 1", "external_id": case["external_id"], "status": "X"}, "$.update_id"),
        ({"update_id": "bad-2", "external_id": case["external_id"], "status": "NOPE"}, "$.status"),
    ):
        body = json.dumps(document).encode()
        answer = api_as(None).post(url, content=body, headers=_signed(body))
        assert answer.status_code == 422
        assert field in [e["path"] for e in answer.json()["errors"]]


def test_a_citizen_sees_their_request_only_with_the_right_mobile(
    api_as: Callable[..., httpx.Client],
    delivered: Callable[..., dict],
    client_address: dict[str, str],
) -> None:
    case = delivered()
    citizen = api_as(None)
    path = f"/v1/requests/{case['tracking_code']}"
    right = citizen.get(path, params={"mobile": "۰۹۱۲۱۲۳۴۵۶۷"}, headers=client_address)
    assert right.status_code == 200
    assert "external_id" not in right.json()["referrals"][0]
    wrong = citizen.get(path, params={"mobile": "09121234568"}, headers=client_address)
    unknown = citizen.get(
        "/v1/requests/12345678901", params={"mobile": "09121234567"}, headers=client_address
    )
    missing = citizen.get(path, headers=client_address)
    assert wrong.status_code == unknown.status_code == missing.status_code == 404

    assert said(wrong) == said(unknown) == said(missing)
    assert set(wrong.headers) == set(unknown.headers)


def test_a_citizen_guessing_codes_is_slowed_down(
    api_as: Callable[..., httpx.Client], client_address: dict[str, str]
) -> None:
    citizen = api_as(None)
    answers = [
        citizen.get(
            f"/v1/requests/1234567890{i % 10}",
            params={"mobile": "09121234567"},
            headers=client_address,
        )
        for i in range(40)
    ]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, "no look-up was limited"
    assert int(limited[0].headers["retry-after"]) >= 1
    assert limited[0].json()["detail_fa"]


def test_one_code_guessed_from_many_addresses_is_slowed_down_too(
    api_as: Callable[..., httpx.Client], delivered: Callable[..., dict]
) -> None:
    """SAMAD_LOOKUP_RATE_PER_CODE (10/minute): mobiles tried against one code from 15 addresses,
    each address well under its own limit — the code's own limit stops them."""
    case = delivered()
    citizen = api_as(None)
    codes = [
        citizen.get(
            f"/v1/requests/{case['tracking_code']}",
            params={"mobile": f"0912000{i:04d}"},
            headers={"X-Forwarded-For": f"192.0.2.{200 + i}"},
        ).status_code
        for i in range(15)
    ]
    assert codes[:10] == [404] * 10
    assert codes[10:] == [429] * 5
    right = citizen.get(
        f"/v1/requests/{case['tracking_code']}",
        params={"mobile": "09121234567"},
        headers={"X-Forwarded-For": "192.0.2.250"},
    )
    assert right.status_code == 429  # the right mobile too, while the code is limited


def test_oversized_deeply_nested_and_non_utf8_bodies_are_refused_clearly(
    api: httpx.Client,
) -> None:
    big = api.post(
        "/v1/requests",
        content=b"[" + b"1," * 200_000 + b"1]",
        headers={"content-type": "application/json"},
    )
    deep = api.post(
        "/v1/requests",
        content=b"[" * 200 + b"]" * 200,
        headers={"content-type": "application/json"},
    )
    broken = api.post(
        "/v1/requests",
        content=b'{"subject": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    assert (big.status_code, deep.status_code, broken.status_code) == (413, 400, 400)
    for answer in (big, deep, broken):
        assert answer.json()["detail"] and answer.json()["detail_fa"]
    assert api.get("/healthz").headers["x-content-type-options"] == "nosniff"


def test_sql_looking_text_is_stored_as_text(api: httpx.Client) -> None:
    from tests.support.requests import citizen_request

    text = "'; DROP TABLE requests; -- آب قطع است OR 1=1"
    body = api.post("/v1/requests", json=citizen_request(description=text))
    assert body.status_code == 201
    assert api.get("/v1/requests").status_code == 200
