"""The event log: every state change, delivery outcome and alert, appended, never updated."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db.models import Event
from hub.db.types import utcnow
from hub.referrals.event_macs import insert_with_macs

log = logging.getLogger(__name__)


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
    UPDATE_REVIEWED = "update.reviewed"  # a person applied or dismissed a reply held for review
    LATE_REPLY = "referral.late_reply"  # a reply after the result: a note, the result unchanged
    DEADLINE_ESCALATED = "deadline.escalated"
    REFERRAL_REOPENED = "referral.reopened"
    FEEDBACK_RECEIVED = "feedback.received"
    KARTABL_ACTION = "kartabl.action"  # a portal agency's person acted in its kartabl
    ALERT = "alert"


class AlertKind(StrEnum):
    """What an ``alert`` event says went wrong (its ``data.alert``): each needs a person."""

    DELIVERY_FAILED = "delivery_failed"  # a referral that will not reach its agency by itself
    DELIVERY_UNCONFIRMED = "delivery_unconfirmed"  # sent, answer unclear: the agency may have it
    UNKNOWN_AGENCY_STATUS = "unknown_agency_status"  # a status the agreement's map lacks
    POLL_REFUSED = "poll_refused"  # the agency refuses for good to answer for one case
    BAD_AGENCY_UPDATE = "bad_agency_update"  # an update with a value that cannot be stored
    POLL_CRASHED = "poll_crashed"  # the connector's poll raised something not a ConnectorError
    NOTIFICATION_FAILED = "notification_failed"  # a message that could not be sent
    REPLY_NEEDS_REVIEW = "reply_needs_review"  # a reply the hub cannot read waits too long
    AGENCY_UNREACHABLE = "agency_unreachable"  # its breaker opened: its pushes wait for a probe
    AGENCY_REACHABLE = "agency_reachable"  # its breaker closed again: a probe went through
    SWEEP_OVERDUE = "sweep_overdue"  # a periodic sweep stopped running (is beat dead?)
    DELIVERY_BACKLOG = "delivery_backlog"  # an agency's due referrals wait too long untried


def alert(
    session: Session,
    kind: AlertKind,
    *,
    request_id: int | None = None,
    referral_id: int | None = None,
    actor: str = "hub",
    **data: Any,
) -> None:
    """Append an ``alert`` event of ``kind`` (logged as an error too, see :func:`insert_events`)."""
    insert_events(session, [alert_row(kind, request_id, referral_id, actor=actor, **data)])


def alert_once(
    session: Session,
    kind: AlertKind,
    *,
    request_id: int | None = None,
    referral_id: int | None = None,
    once_per: Mapping[str, str] | None = None,
    actor: str = "hub",
    **data: Any,
) -> bool:
    """:func:`alert` unless an alert of ``kind`` was written already — for this referral, and
    with the same values of ``once_per`` (data keys, e.g. the update's id); True when written."""
    earlier = select(Event.id).where(
        Event.kind == str(EventKind.ALERT), Event.data["alert"].as_string() == str(kind)
    )
    if referral_id is not None:
        earlier = earlier.where(Event.referral_id == referral_id)
    for key, value in (once_per or {}).items():
        earlier = earlier.where(Event.data[key].as_string() == value)
    if session.scalar(earlier.limit(1)) is not None:
        return False
    alert(
        session,
        kind,
        request_id=request_id,
        referral_id=referral_id,
        actor=actor,
        **{**data, **(once_per or {})},
    )
    return True


def alert_row(
    kind: AlertKind,
    request_id: int | None,
    referral_id: int | None = None,
    *,
    actor: str = "hub",
    **data: Any,
) -> dict[str, Any]:
    """An ``alert`` event of ``kind`` as a row for :func:`insert_events`."""
    return event_row(EventKind.ALERT, request_id, referral_id, actor=actor, alert=str(kind), **data)


def record(
    session: Session,
    kind: EventKind,
    *,
    request_id: int | None = None,
    referral_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    actor: str = "hub",
    **data: Any,
) -> None:
    """Append one event to the session's transaction (it commits with the change it records).

    The row is inserted at once (one plain INSERT: no unit-of-work flush for a row nobody reads
    back), after whatever the session still had to write, so events keep the order of the
    changes they record.
    """
    insert_events(
        session,
        [event_row(kind, request_id, referral_id, from_state, to_state, actor=actor, **data)],
    )


def event_row(
    kind: EventKind,
    request_id: int | None,
    referral_id: int | None = None,
    from_state: str | None = None,
    to_state: str | None = None,
    *,
    actor: str = "hub",
    **data: Any,
) -> dict[str, Any]:
    """One event as a row for :func:`insert_events` (every column, so rows batch together)."""
    return {
        "kind": str(kind),
        "request_id": request_id,
        "referral_id": referral_id,
        "from_state": None if from_state is None else str(from_state),
        "to_state": None if to_state is None else str(to_state),
        "actor": actor,
        "data": data,
        "created_at": utcnow(),
    }


def insert_events(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append events (from :func:`event_row`), in this order, each with its row MAC
    (:mod:`hub.referrals.event_macs`); each alert is also logged as an error.

    What the session still had to write goes first, so events keep the order of the changes
    they record.
    """
    for row in rows:
        if row["kind"] == EventKind.ALERT:
            log.error(
                "ALERT %s referral=%s request=%s",
                row["data"],
                row["referral_id"],
                row["request_id"],
            )
    if session.new:
        session.flush()  # rows these events may refer to, and earlier events, are written first
    insert_with_macs(session, rows)
