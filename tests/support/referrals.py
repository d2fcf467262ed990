"""What the database holds about a request's referral, for tests to assert on."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.db.models import Event, Referral, Request
from hub.db.session import session_scope


def referral_of(code: str) -> Referral:
    """The one referral of the request with this tracking code, detached from its session."""
    with session_scope() as session:
        referral = session.scalars(
            select(Referral)
            .join(Request, Request.id == Referral.request_id)
            .where(Request.tracking_code == code)
        ).one()
        session.expunge(referral)
        return referral


def alerts_of(referral_id: int) -> list[dict[str, Any]]:
    """The data of every alert event of this referral, oldest first."""
    with session_scope() as session:
        events = session.scalars(
            select(Event)
            .where(Event.referral_id == referral_id, Event.kind == "alert")
            .order_by(Event.id)
        )
        return [e.data for e in events]
