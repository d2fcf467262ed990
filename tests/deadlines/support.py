"""Referrals on the clock for the deadline tests: made through intake, then started at a chosen
instant and kept from being delivered (the agency "never answers")."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.models import Event, Referral
from hub.db.models_deadlines import EscalationStep, Notification, Violation
from hub.db.session import session_scope
from hub.deadlines.due_times import start_deadlines
from hub.intake.submit import submit_request
from tests.support.requests import citizen_request

TEHRAN = ZoneInfo("Asia/Tehran")


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)  # type: ignore[misc]


def referral_started_at(start: datetime, **request: Any) -> int:
    """A water complaint's referral whose deadlines start at ``start``; it is never delivered."""
    with session_scope() as session:
        registry = get_registry()
        result = submit_request(session, citizen_request(**request), registry, get_settings())
        referral = result.referrals[0]
        referral.next_attempt_at = start + timedelta(days=3650)
        start_deadlines(referral, registry.get(referral.agreement_id), result.request.type, start)
        return referral.id


def referral(referral_id: int) -> Referral:
    with session_scope() as session:
        return session.get_one(Referral, referral_id)


def steps(referral_id: int) -> list[tuple[str, str, int]]:
    """(deadline, action, round) of every step taken, in order."""
    with session_scope() as session:
        rows = session.scalars(
            select(EscalationStep)
            .where(EscalationStep.referral_id == referral_id)
            .order_by(EscalationStep.id)
        )
        return [(s.deadline, s.action, s.round) for s in rows]


def violations(referral_id: int) -> list[Violation]:
    with session_scope() as session:
        return list(session.scalars(select(Violation).where(Violation.referral_id == referral_id)))


def messages(referral_id: int) -> list[Notification]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(Notification)
                .where(Notification.referral_id == referral_id)
                .order_by(Notification.id)
            )
        )


def events(referral_id: int, kind: str) -> list[Event]:
    with session_scope() as session:
        return list(
            session.scalars(
                select(Event).where(Event.referral_id == referral_id, Event.kind == kind)
            )
        )
