"""Standard Webhooks on the agency webhook: the spec's own test vector, the `standardwebhooks`
library signing as an agency's software would, key rotation, and replays refused by their age —
chosen per agreement, the hub's own scheme staying the default."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from standardwebhooks import Webhook

from hub.auth.errors import AccessDenied
from hub.auth.standard_webhooks import NotASecret, sign, verify
from hub.db.models import Referral
from hub.db.session import session_scope
from tests.support.fixtures import Sandboxes
from tests.support.requests import citizen_request

# The test vector published with the Standard Webhooks specification (its reference libraries').
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

SECRET = "whsec_" + base64.b64encode(b"power-company-webhook-key-2026-a").decode()
NEW_SECRET = "whsec_" + base64.b64encode(b"power-company-webhook-key-2026-b").decode()
AGREEMENT = "golestan-power"


def _headers(message_id: str, stamp: int, signature: str) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature,
    }


def test_the_specs_test_vector_signs_and_verifies() -> None:
    assert sign(VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    headers = _headers(VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_SIGNATURE)
    assert verify([VECTOR_SECRET], headers, VECTOR_BODY, 300, now=VECTOR_TIMESTAMP) == VECTOR_ID
    with pytest.raises(AccessDenied, match="no signature in webhook-signature matches"):
        verify([VECTOR_SECRET], headers, VECTOR_BODY + b" ", 300, now=VECTOR_TIMESTAMP)


def test_what_the_standardwebhooks_library_signs_verifies() -> None:
    body = json.dumps({"update_id": "P-1-50", "external_id": "P-1", "status": "50"}).encode()
    moment = datetime.now(UTC)
    signature = Webhook(SECRET).sign("msg_lib_1", moment, body)
    headers = _headers("msg_lib_1", int(moment.timestamp()), signature)
    assert verify([SECRET], headers, body, 300) == "msg_lib_1"


def test_during_a_rotation_one_valid_signature_among_several_is_enough() -> None:
    body, stamp = b'{"status": "50"}', int(time.time())
    old = Webhook(SECRET).sign("msg_rot", datetime.fromtimestamp(stamp, UTC), body)
    new = Webhook(NEW_SECRET).sign("msg_rot", datetime.fromtimestamp(stamp, UTC), body)
    forged = "v1," + base64.b64encode(b"x" * 32).decode()
    # The sender signs with both keys; the hub, not yet told of the new one, takes the old.
    assert verify([SECRET], _headers("msg_rot", stamp, f"{forged} {new} {old}"), body, 300)
    # The hub holds the new secret and the one being retired: either signature alone passes.
    assert verify([NEW_SECRET, SECRET], _headers("msg_rot", stamp, old), body, 300)
    assert verify([NEW_SECRET, SECRET], _headers("msg_rot", stamp, new), body, 300)
    with pytest.raises(AccessDenied):
        verify([NEW_SECRET], _headers("msg_rot", stamp, f"{forged} {old}"), body, 300)


@pytest.mark.parametrize(
    ("age", "said"),
    [(3600, "webhook-timestamp is 3600 seconds old"), (-900, "ahead of the hub's clock")],
)
def test_an_old_or_future_timestamp_is_refused_naming_the_header(age: int, said: str) -> None:
    body, stamp = b"{}", int(time.time()) - age
    signature = sign(SECRET, "msg_old", stamp, body)
    with pytest.raises(AccessDenied, match=said) as refused:
        verify([SECRET], _headers("msg_old", stamp, signature), body, 300)
    assert refused.value.status == 401


def test_a_missing_header_or_a_secret_that_is_not_one_is_named() -> None:
    with pytest.raises(AccessDenied, match="webhook-id missing"):
        verify([SECRET], {"webhook-timestamp": "1", "webhook-signature": "v1,x"}, b"", 300)
    with pytest.raises(NotASecret):
        sign("whsec_not base64!", "msg", 1, b"")


# --- over HTTP: the power company's agreement says `scheme: standard_webhooks` ---------------


@pytest.fixture(scope="module")
def standard_agreement(sandboxes: Sandboxes) -> str:
    os.environ["SAMAD_POWER_WEBHOOK_SECRET"] = NEW_SECRET
    os.environ["SAMAD_POWER_OLD_WEBHOOK_SECRET"] = SECRET
    path = Path(os.environ["SAMAD_AGREEMENTS_DIR"]) / f"{AGREEMENT}.yaml"
    text = path.read_text(encoding="utf-8")
    if "webhook:" not in text:
        text += (
            "\nwebhook:\n  scheme: standard_webhooks\n"
            "  secret: ${env:SAMAD_POWER_WEBHOOK_SECRET}\n"
            "  previous_secret: ${env:SAMAD_POWER_OLD_WEBHOOK_SECRET}\n"
            "  tolerance_seconds: 60\n"
        )
        path.write_text(text, encoding="utf-8")
    return AGREEMENT


def _delivered_power_case(api: httpx.Client) -> dict[str, str]:
    body = api.post("/v1/requests", json=citizen_request(category="power.outage")).json()
    reference = body["referrals"][0]["reference"]
    with session_scope() as session:
        session.execute(
            update(Referral)
            .where(Referral.reference == reference)
            .values(state="delivered", external_id=f"P-{reference}", next_attempt_at=None)
        )
    return {"tracking_code": body["tracking_code"], "external_id": f"P-{reference}"}


def _state(api: httpx.Client, code: str) -> str:
    return str(api.get(f"/v1/requests/{code}").json()["referrals"][0]["state"])


def test_an_update_signed_by_the_library_is_applied_and_a_replay_of_it_refused(
    api_as: Callable[..., httpx.Client], api: httpx.Client, standard_agreement: str
) -> None:
    case = _delivered_power_case(api)
    url = f"/v1/agencies/{standard_agreement}/updates"
    document = {"update_id": f"{case['external_id']}-30", "external_id": case["external_id"]}
    body = json.dumps(document | {"status": "30"}).encode()
    hook = api_as(None)

    def post(secret: str, at: datetime, message_id: str = "msg_power_1") -> httpx.Response:
        signature = Webhook(secret).sign(message_id, at, body)
        headers = _headers(message_id, int(at.timestamp()), signature)
        return hook.post(url, content=body, headers={"content-type": "application/json", **headers})

    samad_style = hook.post(
        url, content=body, headers={"content-type": "application/json", "X-Samad-Timestamp": "1"}
    )
    assert samad_style.status_code == 401 and "webhook-id" in samad_style.json()["detail"]
    replayed = post(NEW_SECRET, datetime.fromtimestamp(time.time() - 3600, UTC))
    assert replayed.status_code == 401
    assert "webhook-timestamp is 3600 seconds old" in replayed.json()["detail"]
    assert _state(api, case["tracking_code"]) == "delivered"
    applied = post(SECRET, datetime.now(UTC))  # the retiring secret is still taken
    assert (applied.status_code, applied.json()["outcome"]) == (200, "applied")
    again = post(NEW_SECRET, datetime.now(UTC), "msg_power_2")
    assert again.json()["outcome"] == "duplicate"
    assert _state(api, case["tracking_code"]) == "in_progress"
    forged = post("whsec_" + base64.b64encode(b"somebody-else").decode(), datetime.now(UTC))
    assert forged.status_code == 401 and "matches the body" in forged.json()["detail"]
