"""Creating a request's referrals: numbered, pending, due now, their deadlines started."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.core import telemetry
from hub.core.states import ReferralState
from hub.db.bulk import insert_objects
from hub.db.models import Referral, Request
from hub.db.types import utcnow
from hub.deadlines.due_times import start_deadlines
from hub.referrals.events import EventKind, event_row


def create_referrals(
    session: Session,
    request: Request,
    agreements: Sequence[Agreement],
    *,
    first: int = 1,
    previous: Referral | None = None,
    actor: str = "hub",
) -> tuple[list[Referral], list[dict[str, Any]]]:
    """The request's referrals to ``agreements``, numbered from ``first``, pending and due now.

    They are written at once (one INSERT for all, ``request`` must be stored already) and commit
    with the caller's transaction; returned with their ``referral.created`` events, for the
    caller to append after any event that comes before them. Each referral's delivery task is
    sent right after the commit; if it never is (a crash, no broker), the dispatch sweep finds
    the referral due.
    """
    now = utcnow()
    referrals = [
        _new_referral(request, agreement, first + i, previous, now)
        for i, agreement in enumerate(agreements)
    ]
    insert_objects(session, referrals)
    events = [
        event_row(
            EventKind.REFERRAL_CREATED,
            request.id,
            referral.id,
            to_state=ReferralState.PENDING,
            actor=actor,
            agreement=agreement.id,
            agreement_version=agreement.version,
            reference=referral.reference,
        )
        for referral, agreement in zip(referrals, agreements, strict=True)
    ]
    return referrals, events


def _new_referral(
    request: Request, agreement: Agreement, number: int, previous: Referral | None, now: datetime
) -> Referral:
    """A referral not stored yet, every column set (``insert_objects`` applies no default)."""
    reference = f"{request.tracking_code}-{number}"
    referral = Referral(
        request_id=request.id,
        agreement_id=agreement.id,
        agreement_version=agreement.version,
        reference=reference,
        idempotency_key=f"samad-{reference}",
        state=str(ReferralState.PENDING),
        version=1,
        previous_referral_id=previous.id if previous else None,
        attempts=0,
        next_attempt_at=now,
        trace_parent=telemetry.current_traceparent(),
        **_UNSET_AT_CREATION,
        created_at=now,
        updated_at=now,
    )
    start_deadlines(referral, agreement, request.type, start=now)
    return referral


# Columns a new referral leaves empty; the deadline columns are set by start_deadlines.
_UNSET_AT_CREATION: dict[str, Any] = dict.fromkeys(
    (
        "last_error",
        "external_id",
        "receipt",
        "next_poll_at",
        "agency_status",
        "result",
        "outcome",
        "delivered_at",
        "viewed_at",
        "resolved_at",
        "acted_at",
        "view_working_seconds",
        "act_working_seconds",
        "resolve_working_seconds",
    )
)


def count_referrals(session: Session, request: Request) -> int:
    return session.scalar(select(func.count()).where(Referral.request_id == request.id)) or 0
