"""The review queue: agency replies the hub could not interpret, waiting for a person.

A reply whose meaning the hub cannot tell — no status keyword it knows, an automatic reply, a
mail that matches no referral — is stored like every update and opens a review here, on its
referral when that is known. A person reads it (the dashboard's replies page, ``samad-hub
replies review|show``) and applies the state it means or dismisses it
(:mod:`hub.polling.review`). A review still waiting ``SAMAD_REVIEW_ALERT_AFTER_MINUTES`` after it
was opened is alerted, once (:func:`alert_waiting`, the beat task ``hub.review_alerts``); every
one waiting is listed in the daily failure digest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from hub.db.models import AgencyUpdate, Referral, Request
from hub.db.models_messages import AgencyMessage, ReplyReview
from hub.referrals.events import AlertKind, alert_row, insert_events


class ReviewState(StrEnum):
    PENDING = "pending"
    APPLIED = "applied"
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class WaitingReply:
    """One review, as a list shows it."""

    review_id: int
    state: str
    agreement_id: str
    agency_update_id: int  # its row in agency_updates
    update_id: str  # the agency's id of the update (a reply's Message-ID)
    reason: str
    opened_at: datetime
    referral_id: int | None
    reference: str | None
    request_id: int | None
    tracking_code: str | None
    message_id: int | None  # its row in agency_messages, when the update carried a message
    sender: str | None
    subject: str | None
    decided_by: str | None = None
    decided_state: str | None = None


def open_review(
    session: Session,
    *,
    agency_update_id: int,
    agreement_id: str,
    referral_id: int | None,
    reason: str,
) -> ReplyReview:
    review = ReplyReview(
        agency_update_id=agency_update_id,
        agreement_id=agreement_id,
        referral_id=referral_id,
        reason=reason,
        state=str(ReviewState.PENDING),
    )
    session.add(review)
    session.flush()
    return review


def _listing() -> Select:
    return (
        select(
            ReplyReview.id,
            ReplyReview.state,
            ReplyReview.agreement_id,
            ReplyReview.agency_update_id,
            AgencyUpdate.update_id,
            ReplyReview.reason,
            ReplyReview.created_at,
            ReplyReview.referral_id,
            Referral.reference,
            Referral.request_id,
            Request.tracking_code,
            AgencyMessage.id,
            AgencyMessage.sender,
            AgencyMessage.subject,
            ReplyReview.decided_by,
            ReplyReview.decided_state,
        )
        .join(AgencyUpdate, AgencyUpdate.id == ReplyReview.agency_update_id)
        .outerjoin(AgencyMessage, AgencyMessage.agency_update_id == ReplyReview.agency_update_id)
        .outerjoin(Referral, Referral.id == ReplyReview.referral_id)
        .outerjoin(Request, Request.id == Referral.request_id)
    )


def waiting(
    session: Session,
    agreement_id: str | None = None,
    *,
    opened_before: datetime | None = None,
    limit: int = 500,
) -> list[WaitingReply]:
    """Reviews still pending, the oldest first."""
    query = _listing().where(ReplyReview.state == str(ReviewState.PENDING))
    if agreement_id:
        query = query.where(ReplyReview.agreement_id == agreement_id)
    if opened_before is not None:
        query = query.where(ReplyReview.created_at <= opened_before)
    rows = session.execute(query.order_by(ReplyReview.created_at, ReplyReview.id).limit(limit))
    return [WaitingReply(*row) for row in rows]


def decided(session: Session, limit: int = 20) -> list[WaitingReply]:
    """The reviews decided last, the latest first."""
    query = _listing().where(ReplyReview.state != str(ReviewState.PENDING))
    rows = session.execute(query.order_by(ReplyReview.decided_at.desc()).limit(limit))
    return [WaitingReply(*row) for row in rows]


def one(session: Session, review_id: int) -> WaitingReply | None:
    row = session.execute(_listing().where(ReplyReview.id == review_id)).first()
    return WaitingReply(*row) if row else None


def alert_waiting(session: Session, now: datetime, older_than: timedelta, limit: int = 500) -> int:
    """Alert, once each, the reviews pending since before ``now - older_than``; how many.

    Claimed by compare-and-set (``alerted_at`` still empty), so two beats never alert one twice.
    """
    due = select(ReplyReview.id).where(
        ReplyReview.state == str(ReviewState.PENDING),
        ReplyReview.alerted_at.is_(None),
        ReplyReview.created_at <= now - older_than,
    )
    ids = list(
        session.scalars(due.order_by(ReplyReview.id).limit(limit).with_for_update(skip_locked=True))
    )
    if not ids:
        return 0
    claimed = set(
        session.scalars(
            update(ReplyReview)
            .where(ReplyReview.id.in_(ids), ReplyReview.alerted_at.is_(None))
            .values(alerted_at=now)
            .returning(ReplyReview.id)
            .execution_options(synchronize_session=False)
        )
    )
    rows = [
        alert_row(
            AlertKind.REPLY_NEEDS_REVIEW,
            reply.request_id,
            reply.referral_id,
            agreement=reply.agreement_id,
            review=reply.review_id,
            update_id=reply.update_id[:200],
            reason=reply.reason[:1000],
            waiting_since=reply.opened_at.isoformat(),
        )
        for reply in (one(session, review_id) for review_id in sorted(claimed))
        if reply is not None
    ]
    if rows:
        insert_events(session, rows)
    return len(rows)
