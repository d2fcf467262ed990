"""Celery tasks: ids in, idempotent bodies, explicit names, no results.

``acks_late`` on delivery and polling: their bodies are safe to run twice (compare-and-set claims,
idempotency keys, updates deduplicated by id), so a worker killed mid-task loses nothing — the
broker hands the message to another worker.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from celery import signals

from hub.agreements.registry import get_registry
from hub.auth.masking import mask_pii
from hub.core import telemetry
from hub.core.celery_app import app
from hub.core.errors import ConnectorError
from hub.core.queues import DELIVERY_QUEUE
from hub.core.settings import get_settings
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery.batch import DeliveryOutcome, deliver, deliver_due
from hub.delivery.dispatch import (
    clear_wake,
    due_agreements,
    keep_wake,
    queue_room,
    take_wake,
    waiting_tasks,
)
from hub.delivery.lookup import LookupOutcome, claim_lookups, due_lookups, look_up
from hub.polling.poll import claim_due_polls, poll_referrals

log = logging.getLogger(__name__)


def worker_name() -> str:
    """This process as its delivery attempts name it (host:pid), asked when it delivers: a
    prefork child inherits this module from the parent that imported it before forking."""
    return f"{socket.gethostname()}:{os.getpid()}"


@signals.worker_init.connect
def _trace(**_: Any) -> None:
    """Traces on when the ``OTEL_*`` variables ask (hub.core.telemetry); a prefork child keeps
    its parent's set-up."""
    telemetry.setup("samad-hub-worker", mask=mask_pii)


@signals.worker_init.connect
def _load_agreements(**_: Any) -> None:
    """Load the connector plugins and agreements when the worker starts, not on its first task.

    Nothing here opens a connection (prefork children must not share one): connectors and the
    database engine are still made where they are first used.
    """
    registry = get_registry()
    log.info("worker starts with %d agreements", len(registry.all()))


@app.task(name="hub.deliver_due", acks_late=True, reject_on_worker_lost=True)
def deliver_due_task(agreement_id: str, slot: int = 0, token: str | None = None) -> int:
    """Deliver this agreement's due referrals, a batch at a time, until none is due.

    While it runs, it holds its delivery slot (:func:`hub.delivery.dispatch.take_wake`): intake
    adds to the next batch instead of sending more tasks, so the busier an agency, the fuller
    its batches. A full batch means a backlog: it wakes another slot, so a second worker (up to
    ``SAMAD_DELIVERY_TASKS_PER_AGENCY``) takes batches of the same agency at once — their claims
    skip each other's rows. Only when a claim finds nothing does it give its slot back — and
    claim once more, for what was committed between that claim and the clearing (anything later
    wakes a new task). After ``DELIVERY_ROUNDS`` batches it hands over to a fresh task instead
    of holding its message for long.

    A task that fails — a database error in its claim or settle, anything — gives the slot back
    as it goes: left set, no task would be sent for this agency until the flag ran out (after a
    PostgreSQL restart, deliveries stalled that long). A worker killed outright cannot; the
    flag's lifetime covers that.

    The slot's ``token`` (from the wake that sent the task) proves the slot is this task's: the
    task renews the flag after each batch it delivers, and a task that outlived its flag (a
    long stall) finds the slot taken by a newer task and leaves it alone — freeing it would let
    one more task run than the agreement allows. A message sent without a token (by an older
    hub) frees its slot as before.
    """
    settings, registry = get_settings(), get_registry()
    delivered, holding = 0, True

    def give_back() -> None:
        clear_wake(agreement_id, slot, token)

    try:
        for _ in range(DELIVERY_ROUNDS):
            outcomes = deliver_due(agreement_id, registry, settings, worker=worker_name())
            delivered += outcomes.count(DeliveryOutcome.DELIVERED)
            if outcomes and DeliveryOutcome.DEFERRED not in outcomes:
                if holding and token and not keep_wake(agreement_id, slot, token):
                    holding = False  # a newer task holds the slot now: not ours to free
                if len(outcomes) >= settings.delivery_batch_size:
                    wake_deliveries([agreement_id], helper=True)  # a backlog: call for help
                continue
            if holding:
                give_back()
            holding = False  # a wake from now on may set it for a task of its own
            outcomes = deliver_due(agreement_id, registry, settings, worker=worker_name())
            delivered += outcomes.count(DeliveryOutcome.DELIVERED)
            if not outcomes or DeliveryOutcome.DEFERRED in outcomes:
                return delivered
            # More came in: go on (a task woken meanwhile shares the work; claims skip its rows).
    except BaseException:
        if holding:
            give_back()
        raise
    if holding:
        give_back()
    wake_deliveries([agreement_id])
    return delivered


DELIVERY_ROUNDS = 50


@app.task(name="hub.deliver_referral", acks_late=True, reject_on_worker_lost=True)
def deliver_referral(referral_id: int) -> str:
    """One referral now, whenever it was due (an admin's resend)."""
    outcome = deliver(referral_id, get_registry(), get_settings(), worker=worker_name())
    log.info("referral %s: %s", referral_id, outcome)
    return str(outcome)


@app.task(name="hub.poll_referrals", acks_late=True, reject_on_worker_lost=True)
def poll_referrals_task(agreement_id: str, referral_ids: list[int]) -> int:
    try:
        return len(poll_referrals(agreement_id, referral_ids, get_registry()))
    except ConnectorError:
        return 0  # logged; next_poll_at already moved ahead, so it is asked again later


@app.task(name="hub.dispatch_due")
def dispatch_due() -> int:
    """Wake every agreement with referrals due for delivery, and send the look-ups of
    unconfirmed referrals that are due; the number of tasks sent."""
    settings = get_settings()
    waiting = waiting_tasks(DELIVERY_QUEUE)  # a backlog is not sent again on top of itself
    with session_scope() as session:
        agreements = due_agreements(session, settings.sweep_batch_size, waiting=waiting)
        lookups = due_lookups(session, utcnow()) if waiting < settings.sweep_batch_size else []
    for agreement_id in lookups:
        look_up_unconfirmed.delay(agreement_id)
    return wake_deliveries(agreements) + len(lookups)


@app.task(name="hub.look_up_unconfirmed", acks_late=True, reject_on_worker_lost=True)
def look_up_unconfirmed(agreement_id: str) -> int:
    """Look this agreement's due unconfirmed referrals up at the agency (hub.delivery.lookup);
    those it does not hold are pushed again. The number looked up."""
    settings, registry = get_settings(), get_registry()
    lease = timedelta(seconds=settings.delivery_lease_seconds)
    with session_scope() as session:
        ids = claim_lookups(session, agreement_id, utcnow(), lease, settings.delivery_batch_size)
    outcomes = [look_up(referral_id, registry, settings) for referral_id in ids]
    if LookupOutcome.ABSENT in outcomes:
        wake_deliveries([agreement_id])
    return len(outcomes)


@app.task(name="hub.poll_sweep")
def poll_sweep() -> int:
    if not queue_room(get_settings().sweep_batch_size):
        return 0  # polls already waiting in the queue: none sent again on top of them
    with session_scope() as session:
        batches = claim_due_polls(session, get_registry(), get_settings().sweep_batch_size)
    count = 0
    for agreement_id, chunks in batches.items():
        for chunk in chunks:
            poll_referrals_task.delay(agreement_id, chunk)
            count += len(chunk)
    return count


@app.task(name="hub.failure_digest")
def failure_digest() -> int:
    """Once a day: the failed deliveries, to the admins and each agency (never twice a day)."""
    from hub.notifications.failure_digest import send_failure_digests

    return len(send_failure_digests(get_registry(), get_settings()))


def wake_deliveries(agreement_ids: Iterable[str], *, helper: bool = False) -> int:
    """Right after intake commits: start delivering these agreements' due referrals now (a task
    each, unless one is on its way). If the broker is unreachable the dispatch sweep wakes them
    shortly — nothing is lost either way. The number of tasks sent."""
    sent = 0
    for agreement_id in agreement_ids:
        wake = take_wake(agreement_id, helper=helper)
        if wake is None:
            continue
        try:
            deliver_due_task.delay(agreement_id, wake.slot, wake.token)
            sent += 1
        except Exception as exc:  # the broker is down: the sweep will pick these up
            clear_wake(agreement_id, wake.slot, wake.token)
            log.warning("could not send the deliveries of %s now: %s", agreement_id, exc)
            break
    return sent


def send_deliveries(referral_ids: list[int]) -> None:
    """Deliver these referrals now, whenever they were due (an admin's resend). If the broker
    is unreachable the dispatch sweep sends them when they are due — nothing is lost."""
    for referral_id in referral_ids:
        try:
            deliver_referral.delay(referral_id)
        except Exception as exc:  # the broker is down: the sweep will pick these up
            log.warning("could not send delivery of referral %s now: %s", referral_id, exc)
            return


@app.task(name="hub.deadline_sweep")
def deadline_sweep() -> int:
    """Take the escalation steps that are due (at the clock's "now"); idempotent."""
    from hub.deadlines import clock
    from hub.deadlines.escalation import sweep_deadlines

    settings = get_settings()
    with session_scope() as session:
        result = sweep_deadlines(
            session, get_registry(), clock.now(), settings.deadline_sweep_batch_size
        )
    if result.steps:
        log.info("deadline sweep: %s", result)
    return result.steps


@app.task(name="hub.notification_sweep")
def notification_sweep() -> int:
    """Send a task for every recorded message that is due."""
    from hub.db.types import utcnow
    from hub.notifications.outbox import claim_due_notifications

    settings = get_settings()
    lease = timedelta(seconds=settings.notification_lease_seconds)
    room = queue_room(settings.sweep_batch_size)  # asked of the broker before the claim begins
    with session_scope() as session:
        ids = claim_due_notifications(session, utcnow(), lease, room)
    for notification_id in ids:
        send_notification_task.delay(notification_id)
    return len(ids)


@app.task(name="hub.send_notification", acks_late=True, reject_on_worker_lost=True)
def send_notification_task(notification_id: int) -> str:
    from hub.notifications.sending import send_notification

    return send_notification(notification_id, get_settings())
