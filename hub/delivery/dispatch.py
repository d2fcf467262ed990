"""The dispatch sweep, and waking an agency's deliveries.

What is due lives in the database (``referrals.next_attempt_at``), not in the broker, so it
survives restarts of everything. Delivery tasks are per agreement, not per referral: a task
claims a batch of that agreement's due referrals itself (``hub.delivery.batch.deliver_due``, ``FOR
UPDATE SKIP LOCKED``), so any number of tasks for one agency can run side by side without taking
the same referral twice.

*Waking* an agreement sends it a delivery task — unless one is already waiting to start. A flag in
Redis (``SET NX`` with the dispatch lease as its lifetime) says "a task is on its way"; the task
keeps it while its claims find work (new intakes join its next batch), clears it at the first claim
that finds nothing and then claims once more, so work committed before the clearing is seen by that
claim and work committed after it wakes a new task (``hub.worker.tasks``). Intake wakes the
agreements of
its referrals right after its commit; the sweep wakes every agreement that has due referrals
(retries after their backoff, deferrals, anything whose wake was lost), and sends nothing where a
task is on its way. A task that was never delivered by the broker leaves a flag that runs out after
the lease: the next sweep sends another. Without Redis (the embedded hub) every wake sends a task;
one that finds nothing due ends at once.

A referral left ``delivering`` by a worker that died goes back to ``pending`` here when its
delivery lease runs out.

The sweep sends nothing while the queue already holds ``limit`` tasks or more: a backlog then
waits in the database instead of burying the workers under copies of the sweep's own tasks.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import redis
from redis.exceptions import LockError, LockNotOwnedError
from redis.lock import Lock
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session

from hub.agreements.model import Idempotency
from hub.agreements.registry import AgreementRegistry, get_registry
from hub.core.errors import NotFound
from hub.core.settings import get_settings
from hub.core.states import ReferralState
from hub.db.models import DeliveryAttempt, Referral
from hub.db.types import utcnow
from hub.delivery import receipts
from hub.delivery.breaker import shared_redis
from hub.delivery.settle import delivered_values
from hub.referrals.events import AlertKind, alert, alert_once
from hub.referrals.lifecycle import transition

log = logging.getLogger(__name__)
S = ReferralState
WAKE_KEY = "samad:delivery-wake:{}"


def due_agreements(session: Session, limit: int, *, waiting: int = 0) -> list[str]:
    """Agreements with referrals due for a delivery attempt now (none while ``waiting`` tasks
    fill the queue up to ``limit``); lease-expired deliveries are made due again first."""
    now = utcnow()
    _recover_abandoned(session, now, limit)
    if waiting >= limit:
        log.info("dispatch: %s tasks already waiting; none sent this time", waiting)
        return []
    oldest = session.execute(
        select(Referral.agreement_id, func.min(Referral.next_attempt_at))
        .where(Referral.state == str(S.PENDING), Referral.next_attempt_at <= now)
        .group_by(Referral.agreement_id)
    ).all()
    _alert_on_backlogs(session, now, [(a, due) for a, due in oldest if due is not None])
    return [agreement_id for agreement_id, _ in oldest]


def _alert_on_backlogs(session: Session, now: datetime, oldest: list[tuple[str, datetime]]) -> None:
    """An agency whose oldest due referral has waited ``SAMAD_BACKLOG_ALERT_MINUTES`` untried:
    deliveries are not keeping up (or its breaker holds them). One alert per agency per hour."""
    limit = timedelta(minutes=get_settings().backlog_alert_minutes)
    for agreement_id, due in oldest:
        waited = now - (due if due.tzinfo else due.replace(tzinfo=UTC))
        if waited < limit:
            continue
        log.warning("agency %s: its oldest due referral has waited %s", agreement_id, waited)
        alert_once(
            session,
            AlertKind.DELIVERY_BACKLOG,
            once_per={"agreement": agreement_id, "hour": now.strftime("%Y-%m-%dT%H")},
            actor="dispatch",
            waited_minutes=round(waited.total_seconds() / 60, 1),
        )


def _slot_key(agreement_id: str, slot: int) -> str:
    return WAKE_KEY.format(agreement_id) + (f":{slot}" if slot else "")


@dataclass(frozen=True)
class Wake:
    """A delivery slot taken: which one, and the token that says who holds it (empty without
    Redis, where there is nothing to hold)."""

    slot: int
    token: str = ""


def _slot_lock(flags: redis.Redis, agreement_id: str, slot: int, token: str = "") -> Lock:
    """The slot's flag as a redis-py lock: set only if free, freed or renewed only by the
    holder of its token (a task that outlived its flag must not free a newer task's slot)."""
    lifetime = max(1, int(get_settings().dispatch_lease_seconds))
    lock = flags.lock(_slot_key(agreement_id, slot), timeout=lifetime, thread_local=False)
    if token:
        lock.local.token = token.encode()
    return lock


def take_wake(agreement_id: str, *, helper: bool = False) -> Wake | None:
    """A free delivery slot of this agreement (the caller sends a task holding it), or None.

    A wake (intake, the dispatch sweep) takes slot 0 only: while a task of the agency is on its
    way or running, new referrals join its next batch. A running task whose batch came back
    full — a backlog — asks for a ``helper``: one of the other slots, up to
    ``SAMAD_DELIVERY_TASKS_PER_AGENCY``. One busy agency so uses several workers at once (their
    claims skip each other's rows; the agreement's throttle still bounds its rate), while a
    quiet one has one task with full batches. Without Redis (the embedded hub) every wake sends
    a task, in slot 0.

    The flag holds a token of its own, given to the task: only that task frees or renews it.
    """
    flags = shared_redis()
    if flags is None:
        return Wake(0)
    try:
        slots = range(1, get_settings().delivery_tasks_per_agency) if helper else range(1)
        for slot in slots:
            token = uuid.uuid4().hex
            if _slot_lock(flags, agreement_id, slot).acquire(blocking=False, token=token):
                return Wake(slot, token)
    except redis.RedisError as exc:
        log.warning("wake flags unreadable (%s); sending a delivery task", exc)
        return Wake(0)
    return None


def keep_wake(agreement_id: str, slot: int, token: str) -> bool:
    """A running task renews its slot's lifetime; False when the slot is no longer its own
    (its flag ran out and a newer task took the slot, or Redis cannot say)."""
    flags = shared_redis()
    if flags is None or not token:
        return False
    try:
        return bool(_slot_lock(flags, agreement_id, slot, token).reacquire())
    except (LockError, redis.RedisError) as exc:
        log.info("wake slot %s of %s no longer held: %s", slot, agreement_id, exc)
        return False


def clear_wake(agreement_id: str, slot: int = 0, token: str | None = None) -> None:
    """The task of this slot has ended (or was never sent): the next wake may use the slot.

    With its ``token`` only the slot's own holder frees it; a task whose flag ran out while it
    worked leaves a newer task's flag alone. Without a token (tasks sent before tokens, an
    admin's reset, tests) the slot is freed whoever holds it.
    """
    flags = shared_redis()
    if flags is None:
        return
    try:
        if token is None:
            flags.delete(_slot_key(agreement_id, slot))
        elif token:
            _slot_lock(flags, agreement_id, slot, token).release()
    except LockNotOwnedError:
        log.info("wake slot %s of %s: held by a newer task, left to it", slot, agreement_id)
    except redis.RedisError as exc:  # it runs out after the lease; the sweep wakes it then
        log.warning("wake flag of %s not cleared: %s", agreement_id, exc)


def agreements_of(referrals: Iterable[Referral]) -> list[str]:
    """The distinct agreements of these referrals, in order."""
    return list(dict.fromkeys(r.agreement_id for r in referrals))


def _recover_abandoned(session: Session, now: datetime, limit: int) -> None:
    """Delivering referrals whose lease ran out: their worker died mid-push, perhaps after the
    agency took it. Try again where a re-push is safe; elsewhere the referral is unconfirmed."""
    abandoned = session.scalars(
        select(Referral)
        .where(Referral.state == str(S.DELIVERING), Referral.next_attempt_at <= now)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    registry = get_registry()
    abandoned = _settle_from_kept_receipts(session, abandoned, registry, now)
    if abandoned:  # their attempts never heard how they ended: say so, none stays "started"
        session.execute(
            update(DeliveryAttempt)
            .where(
                DeliveryAttempt.referral_id.in_([r.id for r in abandoned]),
                DeliveryAttempt.outcome == "started",
            )
            .values(
                outcome="lost",
                finished_at=now,
                error="the delivery lease ran out before this attempt was settled",
            )
        )
    for referral in abandoned:
        idempotency = _idempotency_of(registry, referral.agreement_id)
        if idempotency.repush_is_safe:
            log.warning("referral %s: its delivery lease ran out; sending it again", referral.id)
            transition(
                session,
                referral,
                S.PENDING,
                values={"next_attempt_at": now},
                actor="dispatch",
                reason="delivery lease expired (worker lost)",
            )
            continue
        reason = "delivery lease expired (worker lost mid-push): the agency may hold the case"
        lookup = idempotency is Idempotency.LOOKUP
        values = {"next_attempt_at": now if lookup else None, "last_error": reason}
        if transition(
            session, referral, S.UNCONFIRMED, values=values, actor="dispatch", reason=reason
        ):
            alert(
                session,
                AlertKind.DELIVERY_UNCONFIRMED,
                request_id=referral.request_id,
                referral_id=referral.id,
                actor="dispatch",
                agreement=referral.agreement_id,
                reason=reason,
            )


def _settle_from_kept_receipts(
    session: Session, abandoned: Sequence[Referral], registry: AgreementRegistry, now: datetime
) -> list[Referral]:
    """Deliver the abandoned referrals whose agency's receipt was kept
    (:mod:`hub.delivery.receipts`): the agency answered, only the settle was lost. The others,
    which the lease still has to decide."""
    found = receipts.kept([r.id for r in abandoned])
    if not found:
        return list(abandoned)
    unfinished = set(
        session.scalars(
            select(DeliveryAttempt.id).where(
                DeliveryAttempt.referral_id.in_(list(found)), DeliveryAttempt.outcome == "started"
            )
        )
    )
    rest, settled = [], []
    for referral in abandoned:
        receipt = found.get(referral.id)
        if receipt is None or receipt.attempt_id not in unfinished:
            rest.append(referral)  # none, or one of an attempt that did settle
            continue
        try:
            interval = registry.get(referral.agreement_id).poll_interval_seconds
        except NotFound:
            interval = 0
        values = delivered_values(receipt.external_id, receipt.raw, interval, now)
        reason = "the agency's receipt was kept when its settle could not be written"
        if transition(
            session, referral, S.DELIVERED, values=values, actor="dispatch", reason=reason
        ):
            session.execute(
                update(DeliveryAttempt)
                .where(DeliveryAttempt.id == receipt.attempt_id)
                .values(outcome="delivered", finished_at=now, error=None)
            )
            log.warning("referral %s: delivered from its kept receipt %s", referral.id, reason)
            settled.append(referral.id)
        else:
            rest.append(referral)
    if settled:  # dropped once this is committed; left, their attempt id guards them anyway
        event.listen(session, "after_commit", lambda _: receipts.forget(settled), once=True)
    return rest


def _idempotency_of(registry: AgreementRegistry, agreement_id: str) -> Idempotency:
    try:
        return registry.get(agreement_id).idempotency
    except NotFound:  # not loaded: assume the worst, a re-push could duplicate
        return Idempotency.NONE


def waiting_tasks(queue: str | None = None) -> int:
    """Tasks sent to the workers' queue (default: the one every task goes to) and not yet taken
    by a worker; 0 when the broker can't say."""
    from hub.core.celery_app import app

    queue = queue or app.conf.task_default_queue
    try:
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            try:
                declared = channel.queue_declare(  # type: ignore[attr-defined]  # not in kombu-stubs
                    queue=queue, passive=True
                )
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
