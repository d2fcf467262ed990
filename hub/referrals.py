"""Creating referrals and presenting them to connectors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.connector import OutgoingReferral
from hub.db.models import Referral, Request
from hub.db.types import utcnow
from hub.deadlines import start_deadlines
from hub.events import EventKind, record
from hub.mapping import apply_mapping, shared_view
from hub.states import ReferralState


def create_referral(
    session: Session,
    request: Request,
    agreement: Agreement,
    *,
    number: int,
    previous: Referral | None = None,
    actor: str = "hub",
    dispatch_lease: timedelta = timedelta(0),
) -> Referral:
    """The request's ``number``-th referral, pending; it commits with the caller's transaction.

    It is not flushed: ``referral.id`` is known after the caller's next flush (the request may
    not have an id yet either).

    Its delivery task is sent right after the commit; ``dispatch_lease`` is how long the dispatch
    sweep waits before sending it again, in case that send never happened (a crash, no broker).
    """
    reference = f"{request.tracking_code}-{number}"
    referral = Referral(
        request=request,
        agreement_id=agreement.id,
        agreement_version=agreement.version,
        reference=reference,
        idempotency_key=f"samad-{reference}",
        state=str(ReferralState.PENDING),
        next_attempt_at=utcnow() + dispatch_lease,
        previous_referral_id=previous.id if previous else None,
    )
    start_deadlines(referral, agreement, request.type, start=utcnow())
    session.add(referral)
    record(  # no flush here: the referral, its request and their events are written together
        session,
        EventKind.REFERRAL_CREATED,
        request=request,
        referral=referral,
        to_state=ReferralState.PENDING,
        actor=actor,
        agreement=agreement.id,
        agreement_version=agreement.version,
        reference=reference,
    )
    return referral


def _deadlines(referral: Referral) -> dict[str, Any]:
    return {
        name: due
        for name, due in (
            ("view", referral.view_due_at),
            ("act", referral.act_due_at),
            ("result", referral.result_due_at),
        )
        if due is not None
    }


def outgoing(referral: Referral, request: Request, agreement: Agreement) -> OutgoingReferral:
    """The referral as the agreement's connector sees it: mapped fields and the shared view."""
    deadlines = _deadlines(referral)
    view = shared_view(request.document, agreement.share_citizen)
    mapping_document = {
        **view,
        "tracking_code": request.tracking_code,
        "referral": {
            "reference": referral.reference,
            "tracking_code": request.tracking_code,
            "idempotency_key": referral.idempotency_key,
            "deadlines": {k: v.isoformat() for k, v in deadlines.items()},
        },
    }
    return OutgoingReferral(
        referral_id=referral.id,
        reference=referral.reference,
        tracking_code=request.tracking_code,
        idempotency_key=referral.idempotency_key,
        agreement_id=agreement.id,
        fields=apply_mapping(agreement.mapping, mapping_document),
        request={**view, "tracking_code": request.tracking_code},
        deadlines=deadlines,
        attempt=referral.attempts,
    )


def count_referrals(session: Session, request: Request) -> int:
    return session.scalar(select(func.count()).where(Referral.request_id == request.id)) or 0
