"""Moving a referral from one state to another: allowed moves only, compare-and-set, audited.

Every move is ``UPDATE referrals SET state = new, version = v + 1 … WHERE id = ? AND state = old
AND version = v``: exactly one row changed means this process won; zero means someone else moved
the referral first, and nothing is applied. Refused moves are logged and recorded, never applied.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hub.core import metrics
from hub.core.states import ANSWERED, ReferralState, RequestStatus, is_allowed
from hub.db.models import Referral, Request
from hub.db.types import utcnow
from hub.referrals.events import EventKind, record
from hub.referrals.handling_time import handling_stamps

log = logging.getLogger(__name__)
_REFERRALS = Referral.__table__  # attribute names are column names (a test checks)

# Timestamps stamped the first time a referral reaches these states.
_STAMPS = {
    ReferralState.DELIVERED: "delivered_at",
    ReferralState.VIEWED: "viewed_at",
    ReferralState.RESOLVED: "resolved_at",
}


_REFERRED, _RESOLVED, _CLOSED = (
    str(RequestStatus.REFERRED),
    str(RequestStatus.RESOLVED),
    str(RequestStatus.CLOSED),
)


def transition(
    session: Session,
    referral: Referral,
    to_state: ReferralState,
    *,
    actor: str = "hub",
    values: dict[str, Any] | None = None,
    reason: str | None = None,
) -> bool:
    """Move ``referral`` to ``to_state`` if allowed and nobody moved it first.

    Returns True when applied (the object is refreshed with the new values); False when the move
    is not allowed or lost the race — both recorded, neither applied.
    """
    from_state = ReferralState(referral.state)
    if not is_allowed(from_state, to_state):
        log.warning("refused %s → %s for referral %s", from_state, to_state, referral.id)
        record(
            session,
            EventKind.TRANSITION_REFUSED,
            request_id=referral.request_id,
            referral_id=referral.id,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            reason=reason or "not an allowed transition",
        )
        return False
    changes = move_changes(referral, to_state, utcnow(), values)
    result = session.execute(  # on the table, not the entity: no ORM bulk-update machinery
        update(_REFERRALS)
        .where(
            _REFERRALS.c.id == referral.id,
            _REFERRALS.c.state == referral.state,
            _REFERRALS.c.version == referral.version,
        )
        .values(**changes)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult, typed as Result
        log.info("lost the race to move referral %s from %s", referral.id, from_state)
        return False
    for key, value in changes.items():
        set_committed(referral, key, value)
    if from_state is not to_state:
        extra = {"reason": reason} if reason else {}
        record(
            session,
            EventKind.REFERRAL_STATE,
            request_id=referral.request_id,
            referral_id=referral.id,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            **extra,
        )
        metrics.referral_moved(referral.agreement_id, to_state)
        if to_state in ANSWERED or from_state in ANSWERED:
            settle_request_status(session, referral.request_id)
    return True


def settle_request_status(session: Session, request_id: int) -> None:
    """The request's own status from its referrals: resolved (or closed) once every live one is
    answered, referred again when one is reopened. Triage and duplicates are left as they are."""
    request = session.get_one(Request, request_id)
    if request.status not in (_REFERRED, _RESOLVED, _CLOSED):
        return
    states = {
        ReferralState(state)
        for state in session.scalars(
            select(Referral.state).where(
                Referral.request_id == request_id, Referral.state != str(ReferralState.REROUTED)
            )
        )
    }
    if states and states <= ANSWERED:
        status = _RESOLVED if ReferralState.RESOLVED in states else _CLOSED
    else:
        status = _REFERRED
    if request.status != status:
        request.status = status
        session.flush()


def move_changes(
    referral: Referral,
    to_state: ReferralState,
    now: datetime,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The columns a move of ``referral`` to ``to_state`` at ``now`` writes: state, the next
    version, timestamps and working-time stamps reached for the first time, then ``values``."""
    changes: dict[str, Any] = {"state": str(to_state), "version": referral.version + 1}
    changes["updated_at"] = now
    stamp = _STAMPS.get(to_state)
    if stamp and getattr(referral, stamp) is None:
        changes[stamp] = now
    changes.update(handling_stamps(referral, to_state, now))
    changes.update(values or {})
    return changes


def set_committed(referral: Referral, key: str, value: Any) -> None:
    """Reflect a value already written by an UPDATE on the object, without marking it dirty."""
    set_committed_value(referral, key, value)
