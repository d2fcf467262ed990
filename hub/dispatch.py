"""The dispatch sweep: which referrals are due for a delivery attempt.

What is due lives in the database (``referrals.next_attempt_at``), not in the broker, so it
survives restarts of everything. The sweep claims due rows with ``FOR UPDATE SKIP LOCKED`` (two
sweepers never take the same row), pushes their time forward by a lease, and returns their ids
for delivery tasks; a task that never runs is sent again when the lease runs out. A referral left
``delivering`` by a worker that died goes back to ``pending`` here.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.db.models import Referral
from hub.db.types import utcnow
from hub.lifecycle import transition
from hub.states import ReferralState

log = logging.getLogger(__name__)
S = ReferralState


def claim_due_deliveries(session: Session, lease: timedelta, limit: int) -> list[int]:
    """Ids of pending referrals due now, each leased to this sweep."""
    now = utcnow()
    _recover_abandoned(session, now, limit)
    ids = list(
        session.scalars(
            select(Referral.id)
            .where(Referral.state == str(S.PENDING), Referral.next_attempt_at <= now)
            .order_by(Referral.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            update(Referral)
            .where(Referral.id.in_(ids))
            .values(next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
    return ids


def _recover_abandoned(session: Session, now: datetime, limit: int) -> None:
    """Delivering referrals whose lease ran out: their worker died mid-push. Try again."""
    abandoned = session.scalars(
        select(Referral)
        .where(Referral.state == str(S.DELIVERING), Referral.next_attempt_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    for referral in abandoned:
        log.warning("referral %s: its delivery lease ran out; sending it again", referral.id)
        transition(
            session,
            referral,
            S.PENDING,
            values={"next_attempt_at": now},
            actor="dispatch",
            reason="delivery lease expired (worker lost)",
        )
