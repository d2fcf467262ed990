"""Access tests: a water agreement that accepts signed pushes, and delivered referrals to act on."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update

from hub.db.models import Referral
from hub.db.session import session_scope
from tests.support.fixtures import Sandboxes
from tests.support.requests import citizen_request

WEBHOOK_SECRET = "test-webhook-secret-for-the-water-company"
_addresses = itertools.count(1)


@pytest.fixture(scope="session")
def webhook_agreement(sandboxes: Sandboxes) -> str:
    os.environ["SAMAD_WATER_WEBHOOK_SECRET"] = WEBHOOK_SECRET
    path = Path(os.environ["SAMAD_AGREEMENTS_DIR"]) / "golestan-water.yaml"
    text = path.read_text(encoding="utf-8")
    if "webhook:" not in text:
        text += "\nwebhook:\n  secret: ${env:SAMAD_WATER_WEBHOOK_SECRET}\n  tolerance_seconds: 60\n"
        path.write_text(text, encoding="utf-8")
    return "golestan-water"


@pytest.fixture
def delivered(api: httpx.Client) -> Callable[..., dict]:
    """A new water request whose referral the agency has received (ticket ``W-<id>``)."""

    def make(**overrides: object) -> dict:
        body = api.post("/v1/requests", json=citizen_request(**overrides)).json()
        reference = body["referrals"][0]["reference"]
        external = f"W-{reference}"
        with session_scope() as session:
            session.execute(
                update(Referral)
                .where(Referral.reference == reference)
                .values(state="delivered", external_id=external, next_attempt_at=None)
            )
        return {
            "tracking_code": body["tracking_code"],
            "reference": reference,
            "external_id": external,
        }

    return make


@pytest.fixture
def client_address() -> dict[str, str]:
    """A fresh client address per test (the API trusts X-Forwarded-For from loopback)."""
    return {"X-Forwarded-For": f"198.51.100.{next(_addresses) % 250 + 1}"}
