"""What the review tests read back: the hub's rows as a person would ask for them, and its CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from sqlalchemy import select

from hub.core.settings import REPO_ROOT
from hub.db.models import AgencyUpdate, Event, Referral
from hub.db.models_messages import AgencyMessage, MessageAttachment, ReplyReview
from hub.db.session import session_scope
from hub.polling.review import dismiss_review
from hub.referrals.reviews import ReviewState


def reviews_of(agreement_id: str) -> list[ReplyReview]:
    with session_scope() as session:
        rows = session.scalars(
            select(ReplyReview)
            .where(ReplyReview.agreement_id == agreement_id)
            .order_by(ReplyReview.id)
        ).all()
        session.expunge_all()
        return list(rows)


def updates_of(agreement_id: str) -> list[AgencyUpdate]:
    with session_scope() as session:
        rows = session.scalars(
            select(AgencyUpdate)
            .where(AgencyUpdate.agreement_id == agreement_id)
            .order_by(AgencyUpdate.id)
        ).all()
        session.expunge_all()
        return list(rows)


def messages_of(agreement_id: str) -> list[AgencyMessage]:
    with session_scope() as session:
        rows = session.scalars(
            select(AgencyMessage)
            .where(AgencyMessage.agreement_id == agreement_id)
            .order_by(AgencyMessage.id)
        ).all()
        session.expunge_all()
        return list(rows)


def attachments_of(message_id: int) -> list[MessageAttachment]:
    with session_scope() as session:
        rows = session.scalars(
            select(MessageAttachment)
            .where(MessageAttachment.message_id == message_id)
            .order_by(MessageAttachment.position)
        ).all()
        session.expunge_all()
        return list(rows)


def events_of(referral_id: int, kind: str | None = None) -> list[Event]:
    with session_scope() as session:
        query = select(Event).where(Event.referral_id == referral_id)
        if kind:
            query = query.where(Event.kind == kind)
        rows = session.scalars(query.order_by(Event.id)).all()
        session.expunge_all()
        return list(rows)


def alerts_of_review(review_id: int) -> list[dict[str, Any]]:
    with session_scope() as session:
        rows = session.scalars(
            select(Event.data).where(
                Event.kind == "alert", Event.data["alert"].as_string() == "reply_needs_review"
            )
        ).all()
    return [data for data in rows if data.get("review") == review_id]


def referral(referral_id: int) -> Referral:
    with session_scope() as session:
        found = session.get_one(Referral, referral_id)
        session.expunge(found)
        return found


def dismiss_waiting(agreement_id: str) -> None:
    """Leave nothing of a test waiting in the shared queue (the digest lists what waits)."""
    for review in reviews_of(agreement_id):
        if review.state == ReviewState.PENDING:
            with session_scope() as session:
                dismiss_review(session, review.id, "test over", actor="test")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    """``samad-hub ARGS`` run as a person runs it, on the run's database."""
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=120,
    )
