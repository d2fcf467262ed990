"""The event log: every state change, delivery outcome and alert, appended, never updated."""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from hub.db.models import Event, Referral, Request
from hub.db.types import utcnow

log = logging.getLogger(__name__)
_INSERT = insert(Event.__table__)


class EventKind(StrEnum):
    REQUEST_RECEIVED = "request.received"
    REQUEST_DUPLICATE = "request.duplicate"
    REQUEST_TRIAGE = "request.triage"
    REFERRAL_CREATED = "referral.created"
    REFERRAL_STATE = "referral.state_changed"
    TRANSITION_REFUSED = "referral.transition_refused"
    DELIVERY_RETRY = "delivery.retry_scheduled"
    UPDATE_RECEIVED = "update.received"
    UPDATE_UNMATCHED = "update.unmatched"
    DEADLINE_ESCALATED = "deadline.escalated"
    REFERRAL_REOPENED = "referral.reopened"
    FEEDBACK_RECEIVED = "feedback.received"
    ALERT = "alert"


def record(
    session: Session,
    kind: EventKind,
    *,
    request_id: int | None = None,
    referral_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    actor: str = "hub",
    request: Request | None = None,
    referral: Referral | None = None,
    **data: Any,
) -> None:
    """Append one event to the session's transaction (it commits with the change it records).

    With ids, the row is inserted at once (one plain INSERT: no unit-of-work flush for a row
    nobody reads back), after whatever the session still had to write, so events keep the order
    of the changes they record. ``request`` / ``referral`` instead of their ids: for rows not
    flushed yet (no id); the event is then written by the session's next flush, right after them.
    """
    if kind is EventKind.ALERT:
        log.error(
            "ALERT %s referral=%s request=%s",
            data,
            referral_id or (referral and referral.id),
            request_id or (request and request.id),
        )
    if request is not None or referral is not None:
        event = Event(
            kind=str(kind),
            request_id=request_id,
            referral_id=referral_id,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            data=data,
        )
        if request is not None:
            event.request = request
        if referral is not None:
            event.referral = referral
        session.add(event)
        return
    if session.new:
        session.flush()  # rows this event may refer to, and earlier events, are written first
    session.execute(
        _INSERT,
        {
            "kind": str(kind),
            "request_id": request_id,
            "referral_id": referral_id,
            "from_state": None if from_state is None else str(from_state),
            "to_state": None if to_state is None else str(to_state),
            "actor": actor,
            "data": data,
            "created_at": utcnow(),
        },
    )
