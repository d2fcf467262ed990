"""Dead letters: referrals whose delivery finally failed, kept whole, and sent again on demand.

Nothing is dropped when a delivery fails for good: the referral stays ``delivery_failed`` with
its request (the payload is rebuilt from it exactly as the connector would receive it), every
attempt (``delivery_attempts``: when, how long, the error and the agency's answer) and the last
error. ``resend`` puts it back to ``pending`` with a fresh round of attempts; the same idempotency
key goes with it, so an agency that did get the first push after all keeps one case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.core.errors import NotFound
from hub.core.jsonsafe import json_safe
from hub.core.states import ReferralState
from hub.db.models import DeliveryAttempt, Referral, Request
from hub.db.types import utcnow
from hub.referrals.lifecycle import transition
from hub.referrals.outgoing import outgoing

FAILED = str(ReferralState.DELIVERY_FAILED)


@dataclass(frozen=True)
class DeadLetter:
    referral_id: int
    reference: str
    tracking_code: str
    agreement_id: str
    attempts: int
    last_error: str | None
    failed_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    attempt_log: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "referral_id": self.referral_id,
                "reference": self.reference,
                "tracking_code": self.tracking_code,
                "agreement_id": self.agreement_id,
                "attempts": self.attempts,
                "last_error": self.last_error,
                "failed_at": self.failed_at.isoformat(),
                "payload": self.payload,
                "attempt_log": self.attempt_log,
            }
        )


def list_failed(
    session: Session,
    agreement_id: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[DeadLetter]:
    """Failed referrals, the most recent failure first (without payloads: see ``dead_letter``)."""
    query = (
        select(Referral, Request.tracking_code)
        .join(Request, Request.id == Referral.request_id)
        .where(Referral.state == FAILED)
        .order_by(Referral.updated_at.desc(), Referral.id.desc())
        .limit(limit)
    )
    if agreement_id:
        query = query.where(Referral.agreement_id == agreement_id)
    if since:
        query = query.where(Referral.updated_at >= since)
    return [_letter(referral, code) for referral, code in session.execute(query)]


def dead_letter(session: Session, referral_id: int, registry: AgreementRegistry) -> DeadLetter:
    """One failed referral with its payload and every attempt."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.state != FAILED:
        raise NotFound(f"no failed referral {referral_id}")
    request = session.get_one(Request, referral.request_id)
    try:
        agreement = registry.get(referral.agreement_id)
        sent = outgoing(referral, request, agreement)
        payload = {"fields": sent.fields, "request": sent.request}
    except NotFound:
        payload = {"request": request.document}
    attempts = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.referral_id == referral.id)
        .order_by(DeliveryAttempt.id)
    ).all()
    log = [
        {
            "number": a.number,
            "outcome": a.outcome,
            "error": a.error,
            "detail": a.detail,
            "started_at": a.started_at,
            "duration_ms": a.duration_ms,
            "worker": a.worker,
        }
        for a in attempts
    ]
    return _letter(referral, request.tracking_code, payload, log)


def resend(session: Session, referral_id: int, actor: str) -> bool:
    """Back to ``pending``, due now, with a fresh round of attempts; False if it is not failed."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"no referral {referral_id}")
    if referral.state != FAILED:
        return False
    values = {"attempts": 0, "next_attempt_at": utcnow()}
    reason = f"resent by {actor} after {referral.attempts} attempts: {referral.last_error}"
    return transition(
        session, referral, ReferralState.PENDING, actor=actor, values=values, reason=reason
    )


def failed_ids(session: Session, agreement_id: str) -> list[int]:
    return list(
        session.scalars(
            select(Referral.id)
            .where(Referral.state == FAILED, Referral.agreement_id == agreement_id)
            .order_by(Referral.id)
        )
    )


def _letter(
    referral: Referral,
    tracking_code: str,
    payload: dict[str, Any] | None = None,
    attempt_log: list[dict[str, Any]] | None = None,
) -> DeadLetter:
    return DeadLetter(
        referral_id=referral.id,
        reference=referral.reference,
        tracking_code=tracking_code,
        agreement_id=referral.agreement_id,
        attempts=referral.attempts,
        last_error=referral.last_error,
        failed_at=referral.updated_at,
        payload=payload or {},
        attempt_log=attempt_log or [],
    )
