"""The signed webhook checked from the agency's side: updates signed with the exact recipes of
docs/security.md — its ``openssl`` pipeline run by a shell, Python's ``hmac`` — never with the
hub's own ``signature()``, and its fixed example against the signature written there by hand."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select, update

from hub.auth.signatures import signature, verify
from hub.core.settings import REPO_ROOT
from hub.db.models import AgencyUpdate, Referral
from hub.db.session import session_scope
from tests.access.conftest import WEBHOOK_SECRET
from tests.support.requests import citizen_request

SECURITY = (REPO_ROOT / "docs" / "security.md").read_text(encoding="utf-8")
EXAMPLE_SECRET = "example-secret-shared-with-the-water-company"
EXAMPLE_TIMESTAMP = "1764331200"
EXAMPLE_BODY = (
    '{"update_id":"W-77-3","external_id":"W-77","status":"CLOSED_DONE","result":"لوله تعمیر شد"}'
).encode()
# Worked out once with openssl and written here by hand, as in the doc.
EXAMPLE_SIGNATURE = "sha256=bd77e275c4e5e7f4b0f8869e6e2eaa4ae43698e8f0d877d670fe8f25ccdabe0a"


def doc_pipeline() -> str:
    """The doc's signing command, as its curl example runs it: ``sig=$(…)``."""
    match = re.search(r"^sig=\$\((.+)\)$", SECURITY, re.M)
    assert match, "docs/security.md has no sig=$(…) line"
    return match.group(1)


def openssl_signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """Headers made by the doc's pipeline, run by bash with ``ts``, ``body`` and the secret in
    its environment, as the doc's reader has them."""
    ts = str(int(time.time()))
    environment = {
        "PATH": os.environ["PATH"],
        "ts": ts,
        "body": body.decode("utf-8"),
        "SAMAD_WATER_WEBHOOK_SECRET": secret,
    }
    made = subprocess.run(
        ["bash", "-c", doc_pipeline()], env=environment, capture_output=True, check=True
    )
    hex_digest = made.stdout.decode().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", hex_digest), made
    return {
        "content-type": "application/json",
        "X-Samad-Timestamp": ts,
        "X-Samad-Signature": f"sha256={hex_digest}",
    }


def python_signed(body: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    """Headers made as the doc's Python example makes them."""
    ts = str(int(time.time()))
    sig = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "content-type": "application/json",
        "X-Samad-Timestamp": ts,
        "X-Samad-Signature": f"sha256={sig}",
    }


def state_of(tracking_code: str, api: httpx.Client) -> str:
    return str(api.get(f"/v1/requests/{tracking_code}").json()["referrals"][0]["state"])


def test_the_fixed_example_signs_to_the_signature_the_doc_writes_by_hand() -> None:
    assert EXAMPLE_SIGNATURE in SECURITY and EXAMPLE_BODY.decode() in SECURITY
    assert EXAMPLE_SECRET in SECURITY and EXAMPLE_TIMESTAMP in SECURITY
    signed_bytes = EXAMPLE_TIMESTAMP.encode() + b"." + EXAMPLE_BODY
    by_openssl = subprocess.run(
        ["openssl", "dgst", "-sha256", "-hmac", EXAMPLE_SECRET, "-hex"],
        input=signed_bytes,
        capture_output=True,
        check=True,
    )
    assert by_openssl.stdout.decode().split()[-1] == EXAMPLE_SIGNATURE.removeprefix("sha256=")
    by_hmac = hmac.new(EXAMPLE_SECRET.encode(), signed_bytes, hashlib.sha256).hexdigest()
    assert f"sha256={by_hmac}" == EXAMPLE_SIGNATURE
    # The doc's own openssl command for the example, run as written.
    (command,) = re.findall(r"^printf '%s\.%s' 1764331200 .+?-hex$", SECURITY, re.M | re.S)
    by_doc = subprocess.run(["bash", "-c", command], capture_output=True, check=True)
    assert by_doc.stdout.decode().split()[-1] == EXAMPLE_SIGNATURE.removeprefix("sha256=")
    # And the hub agrees with all of them.
    verify(EXAMPLE_SECRET, EXAMPLE_TIMESTAMP, EXAMPLE_SIGNATURE, EXAMPLE_BODY, 300, now=1764331200)
    assert signature(EXAMPLE_SECRET, EXAMPLE_TIMESTAMP, EXAMPLE_BODY) == EXAMPLE_SIGNATURE


@pytest.mark.parametrize("recipe", [openssl_signed, python_signed], ids=["openssl", "python"])
def test_an_update_signed_by_the_docs_recipe_is_applied(
    recipe: Callable[[bytes], dict[str, str]],
    api_as: Callable[..., httpx.Client],
    api: httpx.Client,
    webhook_agreement: str,
    delivered: Callable[..., dict],
) -> None:
    case = delivered()
    update_id = f"recipe-{recipe.__name__}-{case['reference']}"
    document = {
        "update_id": update_id,
        "external_id": case["external_id"],
        "status": "ASSIGNED",
        "note": "کارشناس اعزام شد",
    }
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    answer = api_as(None).post(
        f"/v1/agencies/{webhook_agreement}/updates", content=body, headers=recipe(body)
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "applied"
    assert state_of(case["tracking_code"], api) == "in_progress"


def test_a_body_changed_after_signing_is_refused_and_changes_nothing(
    api_as: Callable[..., httpx.Client],
    api: httpx.Client,
    webhook_agreement: str,
    delivered: Callable[..., dict],
) -> None:
    case = delivered()
    signed = json.dumps(
        {"update_id": f"tampered-{case['reference']}", "external_id": case["external_id"]}
        | {"status": "ASSIGNED"}
    ).encode()
    tampered = signed.replace(b"ASSIGNED", b"CLOSED_DONE")
    url = f"/v1/agencies/{webhook_agreement}/updates"
    answer = api_as(None).post(url, content=tampered, headers=openssl_signed(signed))
    assert answer.status_code == 401
    assert "does not match" in answer.json()["detail"]
    assert state_of(case["tracking_code"], api) == "delivered"


@pytest.mark.parametrize("missing", ["X-Samad-Signature", "X-Samad-Timestamp"])
def test_an_update_without_its_signature_headers_is_refused_and_changes_nothing(
    missing: str,
    api_as: Callable[..., httpx.Client],
    api: httpx.Client,
    webhook_agreement: str,
    delivered: Callable[..., dict],
) -> None:
    case = delivered()
    body = json.dumps(
        {"update_id": f"unsigned-{case['reference']}", "external_id": case["external_id"]}
        | {"status": "ASSIGNED"}
    ).encode()
    headers = {k: v for k, v in openssl_signed(body).items() if k != missing}
    answer = api_as(None).post(
        f"/v1/agencies/{webhook_agreement}/updates", content=body, headers=headers
    )
    assert answer.status_code == 401
    assert "X-Samad-Timestamp and X-Samad-Signature are required" in answer.json()["detail"]
    assert state_of(case["tracking_code"], api) == "delivered"


def _but_request_id(answer: httpx.Response) -> dict[str, object]:
    """An error's body without the id every answer has of its own."""
    return {key: value for key, value in answer.json().items() if key != "request_id"}


def _power_referral(api: httpx.Client) -> dict[str, str]:
    """A referral of another agreement (the power company's), delivered, with its case id."""
    body = api.post("/v1/requests", json=citizen_request(category="power.outage")).json()
    reference = body["referrals"][0]["reference"]
    with session_scope() as session:
        agreement = session.scalar(
            select(Referral.agreement_id).where(Referral.reference == reference)
        )
        session.execute(
            update(Referral)
            .where(Referral.reference == reference)
            .values(state="delivered", external_id=f"P-{reference}", next_attempt_at=None)
        )
    assert agreement == "golestan-power"
    return {"tracking_code": body["tracking_code"], "reference": reference}


def test_a_signed_update_for_another_agreements_referral_is_refused_like_an_unknown_one(
    api_as: Callable[..., httpx.Client], api: httpx.Client, webhook_agreement: str
) -> None:
    other = _power_referral(api)
    url = f"/v1/agencies/{webhook_agreement}/updates"
    hook = api_as(None)

    def post(**names: str) -> httpx.Response:
        document = {"update_id": f"cross-{other['reference']}-{len(names)}", "status": "ASSIGNED"}
        body = json.dumps(document | names).encode()
        return hook.post(url, content=body, headers=openssl_signed(body))

    unknown = post(external_id="P-no-such-case")
    assert unknown.status_code == 404
    for names in (
        {"external_id": f"P-{other['reference']}"},
        {"referral": other["reference"]},
        {"referral": other["reference"], "external_id": f"P-{other['reference']}"},
    ):
        answer = post(**names)
        assert (answer.status_code, _but_request_id(answer)) == (404, _but_request_id(unknown))
        assert other["reference"] not in answer.text and "golestan-power" not in answer.text
    assert state_of(other["tracking_code"], api) == "delivered"
    with session_scope() as session:
        stored = select(func.count()).select_from(AgencyUpdate).join(Referral)
        assert session.scalar(stored.where(Referral.reference == other["reference"])) == 0
