"""Referrals as a connector receives them, and the agreement as a connector sees it."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from hub.plugins.connector import ConnectorContext, OutgoingReferral
from hub.testing.clock import FrozenClock

AGREEMENT_ID = "agency-under-test"

# What an agreement's mapping typically gives an agency (Persian, as citizens write it).
DEFAULT_FIELDS: dict[str, Any] = {
    "title": "نشت آب در خیابان امام",
    "description": "از صبح آب از زیر آسفالت بیرون می‌زند.",
    "caller": {"mobile": "09111234567", "name": "مریم احمدی"},
    "county": "گرگان",
}


def sample_request(tracking_code: str) -> dict[str, Any]:
    """A normalised shared-schema request (``schemas/request.schema.json``)."""
    return {
        "tracking_code": tracking_code,
        "channel": "phone_111",
        "type": "complaint",
        "category": "water.leak",
        "subject": DEFAULT_FIELDS["title"],
        "description": DEFAULT_FIELDS["description"],
        "citizen": {"first_name": "مریم", "last_name": "احمدی", "mobile": "09111234567"},
        "location": {"county": "گرگان"},
    }


class ReferralFactory:
    """New referrals, each with its own id, reference and idempotency key (unique per run, so a
    long-lived test system of the agency never mistakes one for an earlier run's)."""

    def __init__(
        self,
        clock: FrozenClock,
        agreement_id: str = AGREEMENT_ID,
        fields: Mapping[str, Any] | None = None,
        reference_at: str | None = "reference",
    ) -> None:
        """``fields`` stand for the agreement's mapping applied; ``reference_at`` names the field
        that also carries the referral's reference (as a mapping such as ``reference:
        referral.reference`` would), or None where the connector puts it in by itself."""
        self.clock = clock
        self.agreement_id = agreement_id
        self.fields = dict(DEFAULT_FIELDS if fields is None else fields)
        self.reference_at = reference_at
        self._run = uuid.uuid4().hex[:8]
        self._numbers = itertools.count(1)

    def __call__(self, **fields: Any) -> OutgoingReferral:
        number = next(self._numbers)
        tracking_code = f"1{uuid.uuid4().int % 10**10:010d}"
        now = self.clock.now()
        reference = f"{tracking_code}-{self._run}-{number}"
        carried = {self.reference_at: reference} if self.reference_at else {}
        return OutgoingReferral(
            referral_id=number,
            reference=reference,
            tracking_code=tracking_code,
            idempotency_key=f"{self.agreement_id}:{self._run}:{number}",
            agreement_id=self.agreement_id,
            fields={**self.fields, **carried, **fields},
            request=sample_request(tracking_code),
            deadlines={
                "view": now + timedelta(days=1),
                "act": now + timedelta(days=3),
                "result": now + timedelta(days=10),
            },
        )


def connector_context(
    directory: Path,
    agreement_id: str = AGREEMENT_ID,
    mapping: Mapping[str, Any] | None = None,
    status_map: Mapping[str, str] | None = None,
) -> ConnectorContext:
    """The agreement as a connector sees it; ``directory`` serves as config and cache root."""
    return ConnectorContext(agreement_id, mapping or {}, status_map or {}, directory, directory)
