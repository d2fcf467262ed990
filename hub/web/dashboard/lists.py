"""What the dashboard lists: overdue referrals, violations, failed deliveries, one timeline
(with the agency's mails, their attachments, and the notes of replies after the result)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from hub.core.states import ReferralState
from hub.db.models import AgencyUpdate, DeliveryAttempt, Event, Referral, Request
from hub.referrals.events import EventKind
from hub.referrals.messages import attachments_of, messages_of, readable_text

S = ReferralState
_OPEN = [
    str(s) for s in (S.PENDING, S.DELIVERING, S.DELIVERED, S.VIEWED, S.IN_PROGRESS, S.FORWARDED)
]


def overdue(session: Session, now: datetime, limit: int = 200) -> list[tuple[Referral, str]]:
    seen = func.coalesce(Referral.viewed_at, Referral.acted_at, Referral.resolved_at)
    rows = session.execute(
        select(Referral, Request.tracking_code)
        .join(Request, Request.id == Referral.request_id)
        .where(
            Referral.state.in_(_OPEN),
            or_(
                and_(seen.is_(None), Referral.view_due_at < now),
                and_(Referral.resolved_at.is_(None), Referral.result_due_at < now),
            ),
        )
        .order_by(Referral.result_due_at)
        .limit(limit)
    ).all()
    return [(r, code) for r, code in rows]


def failures(
    session: Session, limit: int = 200, state: S = S.DELIVERY_FAILED
) -> list[tuple[Referral, str]]:
    """Referrals in ``state`` (failed; unconfirmed; delivering — in flight, with their worker's
    lease in ``next_attempt_at``), the most recently moved first."""
    rows = session.execute(
        select(Referral, Request.tracking_code)
        .join(Request, Request.id == Referral.request_id)
        .where(Referral.state == str(state))
        .order_by(Referral.updated_at.desc())
        .limit(limit)
    ).all()
    return [(r, code) for r, code in rows]


def violations(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    try:
        from hub.db.models_deadlines import Violation
    except ImportError:
        return []
    rows = session.execute(
        select(Violation, Referral.reference)
        .join(Referral, Referral.id == Violation.referral_id)
        .order_by(Violation.recorded_at.desc())
        .limit(limit)
    ).all()
    return [{"violation": v, "reference": ref} for v, ref in rows]


def timeline(session: Session, request: Request) -> dict[str, Any]:
    referrals = session.scalars(
        select(Referral).where(Referral.request_id == request.id).order_by(Referral.id)
    ).all()
    ids = [r.id for r in referrals]
    events = session.scalars(
        select(Event).where(Event.request_id == request.id).order_by(Event.id)
    ).all()
    messages = messages_of(session, ids)
    return {
        "referrals": referrals,
        "references": {r.id: r.reference for r in referrals},
        "events": events,
        "late_notes": [e for e in events if e.kind == EventKind.LATE_REPLY],
        "messages": messages,
        "message_texts": {m.id: readable_text(m) for m in messages},
        "attachments": attachments_of(session, [m.id for m in messages]),
        "attempts": session.scalars(
            select(DeliveryAttempt)
            .where(DeliveryAttempt.referral_id.in_(ids))
            .order_by(DeliveryAttempt.id)
        ).all(),
        "updates": session.scalars(
            select(AgencyUpdate).where(AgencyUpdate.referral_id.in_(ids)).order_by(AgencyUpdate.id)
        ).all(),
    }
