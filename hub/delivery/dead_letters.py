"""Dead letters: referrals whose delivery finally failed or is unconfirmed, kept whole, and sent
again — or confirmed — on demand.

Nothing is dropped when a delivery fails for good: the referral stays ``delivery_failed`` with
its request (the payload is rebuilt from it exactly as the connector would receive it), every
attempt (``delivery_attempts``: when, how long, the error and the agency's answer) and the last
error. ``resend`` puts it back to ``pending`` with a fresh round of attempts; the same idempotency
key goes with it, so an agency that did get the first push after all keeps one case.

An ``unconfirmed`` referral was sent, but the agency's answer said nothing sure, and the agency
cannot de-duplicate a second push. ``confirm`` records the case id an admin found at the agency
(it is then polled like any delivered referral); ``resend`` refuses it unless the admin says the
agency may end up with two cases (``may_duplicate``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.core.errors import NotFound, Refused
from hub.core.jsonsafe import json_safe
from hub.core.states import ReferralState
from hub.db.models import DeliveryAttempt, Referral, Request
from hub.db.types import utcnow
from hub.referrals.lifecycle import transition
from hub.referrals.outgoing import outgoing

FAILED = str(ReferralState.DELIVERY_FAILED)
DELIVERING = str(ReferralState.DELIVERING)
UNCONFIRMED = str(ReferralState.UNCONFIRMED)


@dataclass(frozen=True)
class DeadLetter:
    referral_id: int
    reference: str
    tracking_code: str
    agreement_id: str
    state: str
    attempts: int
    last_error: str | None
    failed_at: datetime  # when it last moved (into this state)
    next_attempt_at: datetime | None = None  # delivering: the worker's lease ends; else a retry
    payload: dict[str, Any] = field(default_factory=dict)
    attempt_log: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return json_safe(
            {
                "referral_id": self.referral_id,
                "reference": self.reference,
                "tracking_code": self.tracking_code,
                "agreement_id": self.agreement_id,
                "state": self.state,
                "attempts": self.attempts,
                "last_error": self.last_error,
                "failed_at": self.failed_at.isoformat(),
                "next_attempt_at": self.next_attempt_at,
                "payload": self.payload,
                "attempt_log": self.attempt_log,
            }
        )


def list_failed(
    session: Session,
    agreement_id: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
    state: str = FAILED,
) -> list[DeadLetter]:
    """Failed (or, with ``state=UNCONFIRMED``, unconfirmed) referrals, the most recent first,
    without payloads (see ``dead_letter``)."""
    query = (
        select(Referral, Request.tracking_code)
        .join(Request, Request.id == Referral.request_id)
        .where(Referral.state == state)
        .order_by(Referral.updated_at.desc(), Referral.id.desc())
        .limit(limit)
    )
    if agreement_id:
        query = query.where(Referral.agreement_id == agreement_id)
    if since:
        query = query.where(Referral.updated_at >= since)
    return [_letter(referral, code) for referral, code in session.execute(query)]


def dead_letter(session: Session, referral_id: int, registry: AgreementRegistry) -> DeadLetter:
    """One failed or unconfirmed referral with its payload and every attempt."""
    referral = session.get(Referral, referral_id)
    if referral is None or referral.state not in (FAILED, UNCONFIRMED):
        raise NotFound(f"no failed or unconfirmed referral {referral_id}")
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


def resend(session: Session, referral_id: int, actor: str, may_duplicate: bool = False) -> bool:
    """Back to ``pending``, due now, with a fresh round of attempts; False if it is neither
    failed nor unconfirmed. An unconfirmed one only ``may_duplicate``: else :class:`Refused`."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"no referral {referral_id}")
    if referral.state == UNCONFIRMED and not may_duplicate:
        raise Refused(
            f"referral {referral_id} is unconfirmed: the agency may hold its case already, and "
            "a second push may open a second one. Look it up at the agency and confirm its case "
            "id (samad-hub referrals confirm), or resend it with --may-duplicate",
            "ممکن است پرونده این ارجاع در سامانه دستگاه ثبت شده باشد؛ ارسال دوباره ممکن است "
            "پرونده تکراری بسازد. شماره پرونده را از دستگاه بپرسید و ثبت کنید، یا آگاهانه "
            "دوباره بفرستید.",
        )
    if referral.state not in (FAILED, UNCONFIRMED):
        return False
    values = {"attempts": 0, "next_attempt_at": utcnow()}
    reason = f"resent by {actor} after {referral.attempts} attempts: {referral.last_error}"
    return transition(
        session, referral, ReferralState.PENDING, actor=actor, values=values, reason=reason
    )


def confirm(session: Session, referral_id: int, external_id: str, actor: str) -> bool:
    """The agency's case id for an unconfirmed (or failed) referral, found at the agency by a
    person: the referral is delivered, and polled from now on. False in any other state."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(f"no referral {referral_id}")
    case = external_id.strip()
    if not case or len(case) > 128:
        raise Refused(
            "the agency's case id must be 1 to 128 characters",
            "شماره پرونده دستگاه باید بین ۱ تا ۱۲۸ نویسه باشد",
        )
    if referral.state not in (FAILED, UNCONFIRMED):
        return False
    now = utcnow()
    values = {
        "external_id": case,
        "receipt": {"confirmed_by": actor},
        "next_attempt_at": None,
        "last_error": None,
        "next_poll_at": now,
    }
    reason = f"case {case} at the agency, confirmed by {actor}"
    return transition(
        session, referral, ReferralState.DELIVERED, actor=actor, values=values, reason=reason
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
        state=referral.state,
        attempts=referral.attempts,
        last_error=referral.last_error,
        failed_at=referral.updated_at,
        next_attempt_at=referral.next_attempt_at,
        payload=payload or {},
        attempt_log=attempt_log or [],
    )
