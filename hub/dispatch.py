"""The dispatch sweep: which referrals are due for a delivery attempt.

What is due lives in the database (``referrals.next_attempt_at``), not in the broker, so it
survives restarts of everything. The sweep claims due rows with ``FOR UPDATE SKIP LOCKED`` (two
sweepers never take the same row), pushes their time forward by a lease, and returns their ids
for delivery tasks; a task that never runs is sent again when the lease runs out. A referral left
``delivering`` by a worker that died goes back to ``pending`` here.

The sweep sends no more than the queue has room for: ``limit`` minus the tasks already waiting
in the broker. Without that, a backlog longer than the lease feeds itself — every sweep sends
every waiting referral again, each copy buries the first ones deeper, and the workers spend their
time on copies while real deliveries wait (seen in the fault-injection run: referrals pending
for minutes with no attempt at all). With it, the queue stays at most ``limit`` long, a lost task
is still sent again, and a copy at worst finds its referral taken and does nothing.
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


def claim_due_deliveries(
    session: Session, lease: timedelta, limit: int, *, waiting: int = 0
) -> list[int]:
    """Ids of pending referrals due now, each leased to this sweep: at most ``limit`` minus the
    ``waiting`` delivery tasks already in the broker's queue."""
    now = utcnow()
    _recover_abandoned(session, now, limit)
    room = limit - waiting
    if room <= 0:
        log.info("dispatch: %s delivery tasks already waiting; none sent this time", waiting)
        return []
    ids = list(
        session.scalars(
            select(Referral.id)
            .where(Referral.state == str(S.PENDING), Referral.next_attempt_at <= now)
            .order_by(Referral.next_attempt_at)
            .limit(room)
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


def waiting_tasks(queue: str | None = None) -> int:
    """Tasks sent to the workers' queue (default: the one every task goes to) and not yet taken
    by a worker; 0 when the broker can't say."""
    from hub.celery_app import app

    queue = queue or app.conf.task_default_queue
    try:
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            try:
                declared = channel.queue_declare(queue=queue, passive=True)
            except connection.channel_errors:  # not declared yet, or (Redis) an empty list
                return 0
            finally:
                _release_session(channel)
            return int(declared.message_count)
    except Exception as exc:  # the broker is down: the sends will fail and be retried anyway
        log.warning("cannot read the length of queue %s: %s", queue, exc)
        return 0


def _release_session(channel: object) -> None:
    """Give back the database connection of kombu's SQLAlchemy channel (the embedded broker).

    That channel keeps an ORM session from its first query and never closes it: the session's
    pooled connection came back only when the garbage collector broke the channel's reference
    cycles. The sweeps ask for the queue's length every second or so, and on a busy machine the
    broker's pool (5 + 10) ran dry: every publish and the worker's own consumer then waited 30 s
    and failed. Other transports have no such session.
    """
    session = getattr(channel, "_session", None)
    if session is not None:
        session.close()


def queue_room(limit: int) -> int:
    """How many more tasks a sweep may send now: ``limit`` minus those already waiting.

    The poll and notification sweeps ask too: their work is due again after a lease as well, and
    re-sent on top of a backlog it would bury the deliveries behind copies of itself.
    """
    return max(0, limit - waiting_tasks())
