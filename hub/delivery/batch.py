"""Delivering referrals to their agency: claim a batch, record the attempts, push, settle.

A delivery task takes the due referrals of one agreement together, at most
``SAMAD_DELIVERY_BATCH_SIZE`` of them (``deliver(referral_id)`` is the same path for one):

1. Claim, in one transaction committed *before* the agency is called: the due ``pending``
   referrals, locked with ``FOR UPDATE SKIP LOCKED`` (two workers never take the same one);
   through the agency's gate — an open breaker or a full throttle *defers* what may not be called
   now (``next_attempt_at`` moved, not an attempt); the rest moved to ``delivering`` by one
   ``UPDATE … RETURNING`` (only the rows still pending come back), their events and their
   attempts written in one statement each. A delivering referral whose worker died is put back
   to pending by the dispatch sweep when its lease runs out.
2. Push each through the agreement's connector, outside any transaction, several at once
   (``SAMAD_DELIVERY_PUSH_THREADS`` per process), so a batch takes about as long as its slowest
   push — well inside the lease even when every push of it runs into the connector's timeout.
3. Settle the batch in one transaction (``hub.delivery.settle``): delivered, retried later or
   failed with an alert — never a silent drop — each move still a compare-and-set.

Safe to run twice: the claim lets one through, and the idempotency key makes a re-push after a
crash land on the same case at the agency.

Why batches: one task, one claim and one settle per referral cost ~7 ms of CPU per referral (a
third of it Celery's own), twice what the whole path may cost to keep up with the agencies the
province has; a batch pays them once (bench/RESULTS.md).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, defer
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.core import metrics, telemetry
from hub.core.errors import ConnectorError, HubError, NotFound
from hub.core.settings import Settings
from hub.core.states import ReferralState
from hub.db.bulk import insert_rows
from hub.db.models import DeliveryAttempt, Referral, Request
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery import receipts
from hub.delivery.gate import admit_batch, record_pushes
from hub.delivery.settle import Claim, DeliveryOutcome, Pushed, settle
from hub.referrals.events import EventKind, event_row, insert_events
from hub.referrals.lifecycle import set_committed
from hub.referrals.outgoing import outgoing

__all__ = ["DeliveryOutcome", "deliver", "deliver_due", "deliver_referrals"]

log = logging.getLogger(__name__)
S = ReferralState
_REFERRALS = Referral.__table__


def deliver(
    referral_id: int, registry: AgreementRegistry, settings: Settings, worker: str = ""
) -> DeliveryOutcome:
    """Deliver one pending referral now, whenever its next attempt was due."""
    outcomes = _deliver(
        registry, settings, worker, [Referral.id == referral_id], limit=1, missing=referral_id
    )
    return outcomes[0] if outcomes else DeliveryOutcome.NOT_DUE


def deliver_referrals(
    referral_ids: Sequence[int], registry: AgreementRegistry, settings: Settings, worker: str = ""
) -> list[DeliveryOutcome]:
    """Deliver these pending referrals of one agreement now, as one batch, whenever they were
    due; the outcomes of those still pending and not taken by another worker."""
    where: list[ColumnElement[bool]] = [Referral.id.in_(list(referral_ids))]
    return _deliver(registry, settings, worker, where, limit=len(referral_ids))


def deliver_due(
    agreement_id: str,
    registry: AgreementRegistry,
    settings: Settings,
    worker: str = "",
    limit: int | None = None,
) -> list[DeliveryOutcome]:
    """Deliver a batch of ``agreement_id``'s referrals whose attempt is due; their outcomes
    (empty: none was due or all were taken by other workers)."""

    def due(now: datetime) -> list[ColumnElement[bool]]:
        return [Referral.agreement_id == agreement_id, Referral.next_attempt_at <= now]

    return _deliver(registry, settings, worker, due, limit=limit or settings.delivery_batch_size)


def _deliver(
    registry: AgreementRegistry,
    settings: Settings,
    worker: str,
    where: list[ColumnElement[bool]] | Callable[[datetime], list[ColumnElement[bool]]],
    *,
    limit: int,
    missing: int | None = None,
) -> list[DeliveryOutcome]:
    claims, outcomes = _claim(registry, settings, worker, where, limit, missing)
    if not claims:
        return outcomes
    pushed = _push_all(claims, registry, settings)
    agreement = claims[0].agreement
    if agreement is not None:
        record_pushes(agreement, settings, [p.error for p in pushed])
    kept = receipts.keep(pushed)  # until the settle commits: a lost settle loses no receipt
    settled = _settle_surely(pushed, settings)
    if kept:
        receipts.forget(p.claim.referral.id for p in pushed if p.receipt is not None)
    return outcomes + settled


def _database_blip(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError | InterfaceError | PoolTimeout)


def _settle_surely(pushed: list[Pushed], settings: Settings) -> list[DeliveryOutcome]:
    """Settle the pushes, retrying while the database is out of reach.

    The agency has answered by now: given up, these referrals would wait out their lease in
    ``delivering`` and be pushed again (a second case where the agency cannot tell a re-push).
    So a settle that meets a database blip — a PostgreSQL restart, a failover — is tried again,
    with backoff, for up to half the delivery lease; only then does the lease decide.
    """
    retrying = Retrying(
        retry=retry_if_exception(_database_blip),
        wait=wait_exponential(multiplier=0.2, max=5),
        stop=stop_after_delay(settings.delivery_lease_seconds / 2),
        before_sleep=lambda state: log.warning(
            "settling %d pushes: the database is out of reach (%s); trying again",
            len(pushed),
            type(state.outcome.exception()).__name__ if state.outcome else "?",
        ),
        reraise=True,
    )
    return retrying(settle, pushed, settings)


def _claim(
    registry: AgreementRegistry,
    settings: Settings,
    worker: str,
    where: list[ColumnElement[bool]] | Callable[[datetime], list[ColumnElement[bool]]],
    limit: int,
    missing: int | None,
) -> tuple[list[Claim], list[DeliveryOutcome]]:
    with session_scope() as session:
        now = utcnow()
        conditions = where(now) if callable(where) else where
        rows: Sequence[tuple[Referral, Request]] = session.execute(
            select(Referral, Request)
            .join(Request, Request.id == Referral.request_id)
            .options(defer(Request.original))  # the citizen's own text: not sent anywhere
            .where(Referral.state == str(S.PENDING), *conditions)
            .order_by(Referral.next_attempt_at, Referral.id)
            .limit(limit)
            .with_for_update(of=Referral, skip_locked=True)
        ).all()
        if not rows:
            if missing is not None and session.get(Referral, missing) is None:
                raise NotFound(f"no referral {missing}")
            return [], [DeliveryOutcome.NOT_DUE] if missing is not None else []
        if len({referral.agreement_id for referral, _ in rows}) > 1:
            raise ValueError("a delivery batch is of one agreement")
        try:
            agreement: Agreement | None = registry.get(rows[0][0].agreement_id)
        except NotFound:
            agreement = None
        deferred = 0
        if agreement is not None:
            gate = admit_batch(session, [r for r, _ in rows], agreement, settings)
            admitted = {r.id for r in gate}
            deferred = len(rows) - len(admitted)
            rows = [(r, q) for r, q in rows if r.id in admitted]
        outcomes = [DeliveryOutcome.DEFERRED] * deferred
        if not rows:
            return [], outcomes
        won = _to_delivering(session, [r for r, _ in rows], now, settings)
        outcomes += [DeliveryOutcome.NOT_DUE] * (len(rows) - len(won))
        rows = [(r, q) for r, q in rows if r.id in won]
        detail = {"agreement_version": agreement.version if agreement else None}
        attempts = _record_attempts(session, [r for r, _ in rows], detail, worker, now)
        claims = [
            Claim(
                referral,
                attempts[referral.id],
                detail,
                outgoing(referral, request, agreement) if agreement else None,
                agreement,
            )
            for referral, request in rows
        ]
        return claims, outcomes


def _to_delivering(
    session: Session, referrals: list[Referral], now: datetime, settings: Settings
) -> set[int]:
    """pending → delivering for these (locked) referrals, in one statement; the ids moved.

    Only rows still pending come back (on SQLite, which has no row locks, another worker may
    have taken one since it was read); each moved object gets its new values, and an event.
    """
    lease = now + timedelta(seconds=settings.delivery_lease_seconds)
    moved = session.execute(
        update(_REFERRALS)
        .where(_REFERRALS.c.id.in_([r.id for r in referrals]), _REFERRALS.c.state == str(S.PENDING))
        .values(
            state=str(S.DELIVERING),
            version=_REFERRALS.c.version + 1,
            attempts=_REFERRALS.c.attempts + 1,
            next_attempt_at=lease,
            updated_at=now,
        )
        .returning(_REFERRALS.c.id, _REFERRALS.c.version, _REFERRALS.c.attempts)
    ).all()
    by_id = {r.id: r for r in referrals}
    events = []
    for referral_id, version, attempts in moved:
        referral = by_id[referral_id]
        moved_to = (S.PENDING, S.DELIVERING)
        ids = (referral.request_id, referral.id)
        events.append(event_row(EventKind.REFERRAL_STATE, *ids, *moved_to, actor="worker"))
        metrics.referral_moved(referral.agreement_id, S.DELIVERING)
        for key, value in (
            ("state", str(S.DELIVERING)),
            ("version", version),
            ("attempts", attempts),
            ("next_attempt_at", lease),
            ("updated_at", now),
        ):
            set_committed(referral, key, value)
    if events:
        insert_events(session, events)
    return {row[0] for row in moved}


def _record_attempts(
    session: Session,
    referrals: list[Referral],
    detail: dict[str, Any],
    worker: str,
    now: datetime,
) -> dict[int, int]:
    """One ``started`` attempt row per claimed referral, before any push; referral id → its id."""
    rows = [
        {
            "referral_id": r.id,
            "number": r.attempts,
            "outcome": "started",
            "worker": worker,
            "detail": detail,
            "started_at": now,
        }
        for r in referrals
    ]
    inserted = insert_rows(session, DeliveryAttempt, rows, returning=("referral_id", "id"))
    return {referral_id: attempt_id for referral_id, attempt_id in inserted}


@functools.cache
def _push_pool(threads: int) -> ThreadPoolExecutor:
    """Made on first use in each (worker) process, never before a fork."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="push")


def _push_all(claims: list[Claim], registry: AgreementRegistry, settings: Settings) -> list[Pushed]:
    if len(claims) == 1 or settings.delivery_push_threads <= 1:
        return [_push(claim, registry) for claim in claims]
    pool = _push_pool(settings.delivery_push_threads)
    return list(pool.map(lambda claim: _push(claim, registry), claims))


def _push(claim: Claim, registry: AgreementRegistry) -> Pushed:
    agreement = claim.agreement
    if agreement is None or claim.payload is None:
        # Removed, or never valid in this process (a half-written file): wait, it may come back.
        missing = ConnectorError(
            f"agreement {claim.referral.agreement_id!r} is not loaded", permanent=False
        )
        return Pushed(claim, None, missing, 0)
    started = time.monotonic()
    reference = claim.referral.reference
    try:
        with telemetry.continued_span(
            "samad.push",
            claim.referral.trace_parent,
            tracking_code=reference.rsplit("-", 1)[0],
            referral=reference,
            agreement=agreement.id,
            connector=agreement.connector_type,
        ):
            receipt = registry.connector(agreement).push(claim.payload)
        error: ConnectorError | None = None
    except ConnectorError as exc:
        receipt, error = None, exc
    except HubError as exc:  # e.g. the connector type is no longer installed
        receipt, error = None, ConnectorError(str(exc), permanent=False)
    except Exception as exc:  # a connector bug must not lose the referral: keep it, retry, alert
        log.exception(
            "connector %s crashed on referral %s", agreement.connector_type, claim.referral.id
        )
        receipt, error = None, ConnectorError(f"connector crashed: {exc!r}", permanent=False)
    duration_ms = int((time.monotonic() - started) * 1000)
    metrics.delivery_finished(agreement.id, duration_ms / 1000, error)
    return Pushed(claim, receipt, error, duration_ms)
