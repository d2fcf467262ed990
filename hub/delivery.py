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
3. Settle the batch in one transaction: delivered (and due for polling); or back to pending with
   a backoff; or, on a permanent error or the last attempt, delivery_failed with an alert. Never a
   silent drop. Every move is still a compare-and-set on (state, version); if any referral of the
   batch was moved by someone else meanwhile (a lease ran out), the batch's transaction is rolled
   back and each referral is settled on its own, exactly as a single delivery.

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
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session, defer

from hub import metrics
from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.backoff import RetryPolicy
from hub.connector import OutgoingReferral, Receipt
from hub.db.bulk import insert_rows, update_rows
from hub.db.models import DeliveryAttempt, Event, Referral, Request
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery_gate import admit_batch, record_pushes
from hub.errors import ConnectorError, HubError, NotFound
from hub.events import EventKind, record
from hub.handling_time import handling_stamps
from hub.jsonsafe import json_safe
from hub.lifecycle import set_committed, transition
from hub.referrals import outgoing
from hub.settings import Settings
from hub.states import ReferralState

log = logging.getLogger(__name__)
S = ReferralState
_ATTEMPTS = DeliveryAttempt.__table__
_REFERRALS = Referral.__table__
_STAMPS = {S.DELIVERED: "delivered_at"}  # set the first time a referral is delivered


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    NOT_DUE = "not_due"  # someone else has it, or it is not waiting for delivery
    DEFERRED = "deferred"  # its agency's breaker is open or its throttle full: not an attempt


@dataclass(frozen=True)
class _Claim:
    """What the claim's transaction hands to the push and the settle.

    ``referral`` is the claim's own (now detached) row, as the claim left it: the settle's
    compare-and-set on its state and version refuses it if anyone moved it in between.
    """

    referral: Referral
    attempt_id: int
    attempt_detail: dict[str, Any]
    payload: OutgoingReferral | None  # None: the referral's agreement is not loaded
    agreement: Agreement | None

    @property
    def attempt_number(self) -> int:
        return self.referral.attempts


@dataclass(frozen=True)
class _Pushed:
    claim: _Claim
    receipt: Receipt | None
    error: ConnectorError | None
    duration_ms: int


class _Moved(Exception):
    """A referral of the batch was moved by someone else while it was being pushed."""


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
    where = [Referral.id.in_(list(referral_ids))]
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
    return outcomes + _settle_all(pushed, settings)


def _claim(
    registry: AgreementRegistry,
    settings: Settings,
    worker: str,
    where: list[ColumnElement[bool]] | Callable[[datetime], list[ColumnElement[bool]]],
    limit: int,
    missing: int | None,
) -> tuple[list[_Claim], list[DeliveryOutcome]]:
    with session_scope() as session:
        now = utcnow()
        conditions = where(now) if callable(where) else where
        rows = session.execute(
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
        attempts = _record_attempts(session, [r for r, _ in rows], agreement, worker, now)
        detail = {"agreement_version": agreement.version if agreement else None}
        claims = [
            _Claim(
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
        events.append(_event(EventKind.REFERRAL_STATE, referral, now, S.PENDING, S.DELIVERING))
        metrics.referral_moved(referral.agreement_id, S.DELIVERING)
        for key, value in (
            ("state", str(S.DELIVERING)),
            ("version", version),
            ("attempts", attempts),
            ("next_attempt_at", lease),
            ("updated_at", now),
        ):
            set_committed(referral, key, value)
    insert_rows(session, Event, events)
    return {row[0] for row in moved}


def _record_attempts(
    session: Session,
    referrals: list[Referral],
    agreement: Agreement | None,
    worker: str,
    now: datetime,
) -> dict[int, int]:
    """One ``started`` attempt row per claimed referral, before any push; referral id → its id."""
    detail = {"agreement_version": agreement.version if agreement else None}
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


def _event(
    kind: EventKind,
    referral: Referral,
    now: datetime,
    from_state: ReferralState | None = None,
    to_state: ReferralState | None = None,
    **data: Any,
) -> dict[str, Any]:
    return {
        "kind": str(kind),
        "request_id": referral.request_id,
        "referral_id": referral.id,
        "from_state": None if from_state is None else str(from_state),
        "to_state": None if to_state is None else str(to_state),
        "actor": "worker",
        "data": data,
        "created_at": now,
    }


@functools.cache
def _push_pool(threads: int) -> ThreadPoolExecutor:
    """Made on first use in each (worker) process, never before a fork."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="push")


def _push_all(
    claims: list[_Claim], registry: AgreementRegistry, settings: Settings
) -> list[_Pushed]:
    if len(claims) == 1 or settings.delivery_push_threads <= 1:
        return [_push(claim, registry) for claim in claims]
    pool = _push_pool(settings.delivery_push_threads)
    return list(pool.map(lambda claim: _push(claim, registry), claims))


def _push(claim: _Claim, registry: AgreementRegistry) -> _Pushed:
    agreement = claim.agreement
    if agreement is None or claim.payload is None:
        # Removed, or never valid in this process (a half-written file): wait, it may come back.
        missing = ConnectorError(
            f"agreement {claim.referral.agreement_id!r} is not loaded", permanent=False
        )
        return _Pushed(claim, None, missing, 0)
    started = time.monotonic()
    try:
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
    return _Pushed(claim, receipt, error, duration_ms)


def _policy(claim: _Claim, settings: Settings) -> RetryPolicy:
    return RetryPolicy.for_agreement(claim.agreement.delivery if claim.agreement else {}, settings)


def _poll_interval(claim: _Claim) -> int:
    return claim.agreement.poll_interval_seconds if claim.agreement else 0


def _settle_all(pushed: list[_Pushed], settings: Settings) -> list[DeliveryOutcome]:
    try:
        with session_scope() as session:
            return _settle_batch(session, pushed, settings)
    except _Moved:
        log.info("a referral of a batch moved while it was pushed; settling them one by one")
    return [
        _settle(
            p.claim,
            p.receipt,
            p.error,
            p.duration_ms,
            _policy(p.claim, settings),
            _poll_interval(p.claim),
        )
        for p in pushed
    ]


@dataclass
class _Batch:
    """The settle's writes, gathered: moves grouped by what they set, attempts, events."""

    now: datetime
    moves: dict[tuple[str, tuple[str, ...]], list[dict[str, Any]]]
    attempts: list[dict[str, Any]]
    events: list[dict[str, Any]]
    moved: list[tuple[str, ReferralState]]

    def move(self, referral: Referral, to: ReferralState, values: dict[str, Any]) -> None:
        changes = {"state": str(to), "version": referral.version + 1, "updated_at": self.now}
        stamp = _STAMPS.get(to)
        if stamp:
            changes[stamp] = getattr(referral, stamp) or self.now
        changes.update(handling_stamps(referral, to, self.now))
        changes.update(values)
        key = (str(to), tuple(sorted(changes)))
        row = dict(changes)
        row.update(where_id=referral.id, where_state=referral.state, where_version=referral.version)
        self.moves[key].append(row)
        self.events.append(
            _event(EventKind.REFERRAL_STATE, referral, self.now, S(referral.state), to)
        )
        self.moved.append((referral.agreement_id, to))

    def finish(self, claim: _Claim, outcome: str, duration_ms: int, **values: Any) -> None:
        self.attempts.append(
            {
                "where_id": claim.attempt_id,
                "outcome": outcome,
                "error": values.get("error"),
                "detail": values.get("detail", claim.attempt_detail),
                "finished_at": self.now,
                "duration_ms": duration_ms,
            }
        )


def _settle_batch(
    session: Session, pushed: Sequence[_Pushed], settings: Settings
) -> list[DeliveryOutcome]:
    """Every outcome of the batch in one transaction; ``_Moved`` if a compare-and-set lost."""
    batch = _Batch(utcnow(), defaultdict(list), [], [], [])
    outcomes = []
    for p in pushed:
        claim, referral, error = p.claim, p.claim.referral, p.error
        if p.receipt is not None:
            batch.finish(claim, "delivered", p.duration_ms)
            batch.move(referral, S.DELIVERED, _delivered_values(p.receipt, _poll_interval(claim)))
            outcomes.append(DeliveryOutcome.DELIVERED)
            continue
        assert error is not None
        detail = {**claim.attempt_detail, **json_safe(error.detail)}
        outcome = "permanent" if error.permanent else "transient"
        batch.finish(claim, outcome, p.duration_ms, error=str(error.message), detail=detail)
        policy = _policy(claim, settings)
        number = claim.attempt_number
        if error.permanent or policy.exhausted(number):
            why = "permanent error" if error.permanent else f"gave up after {number} attempts"
            reason = f"{why}: {error.message}"
            batch.move(referral, S.DELIVERY_FAILED, {"next_attempt_at": None, "last_error": reason})
            batch.events[-1]["data"] = {"reason": reason}
            alert = _alert_data(referral, reason)
            log.error("ALERT %s referral=%s request=%s", alert, referral.id, referral.request_id)
            batch.events.append(_event(EventKind.ALERT, referral, batch.now, **alert))
            outcomes.append(DeliveryOutcome.FAILED)
            continue
        delay = policy.delay_after(number)
        values = {
            "next_attempt_at": batch.now + timedelta(seconds=delay),
            "last_error": error.message,
        }
        batch.move(referral, S.PENDING, values)
        batch.events[-1]["data"] = {"reason": error.message}
        batch.events.append(
            _event(
                EventKind.DELIVERY_RETRY,
                referral,
                batch.now,
                attempt=number,
                retry_in_seconds=round(delay, 3),
                error=error.message,
            )
        )
        outcomes.append(DeliveryOutcome.RETRY)
    for rows in batch.moves.values():  # compare-and-set, every row in one statement
        if update_rows(session, Referral, rows, where=("id", "state", "version")) != len(rows):
            raise _Moved()
    update_rows(session, DeliveryAttempt, batch.attempts, where=("id",))
    insert_rows(session, Event, batch.events)
    for agreement_id, to in batch.moved:
        metrics.referral_moved(agreement_id, to)
    return outcomes


def _delivered_values(receipt: Receipt, poll_interval_seconds: int) -> dict[str, Any]:
    return {
        "external_id": receipt.external_id,
        "receipt": json_safe(dict(receipt.raw)),
        "next_attempt_at": None,
        "last_error": None,
        "next_poll_at": utcnow() + timedelta(seconds=poll_interval_seconds),
    }


def _alert_data(referral: Referral, reason: str) -> dict[str, Any]:
    return {"alert": "delivery_failed", "agreement": referral.agreement_id, "reason": reason}


# One referral at a time: when a referral of a batch was moved by someone else meanwhile.


def _settle(
    claim: _Claim,
    receipt: Receipt | None,
    error: ConnectorError | None,
    duration_ms: int,
    policy: RetryPolicy,
    poll_interval_seconds: int,
) -> DeliveryOutcome:
    with session_scope() as session:
        now = utcnow()
        referral = claim.referral
        session.add(referral)  # re-attached as the claim left it: no re-read
        finished: dict[str, Any] = {"finished_at": now, "duration_ms": duration_ms}
        if receipt is not None:
            _finish_attempt(session, claim, outcome="delivered", **finished)
            return _delivered(session, referral, receipt, poll_interval_seconds)
        assert error is not None
        _finish_attempt(
            session,
            claim,
            outcome="permanent" if error.permanent else "transient",
            error=str(error.message),
            detail={**claim.attempt_detail, **json_safe(error.detail)},
            **finished,
        )
        number = claim.attempt_number
        if error.permanent or policy.exhausted(number):
            why = "permanent error" if error.permanent else f"gave up after {number} attempts"
            if not _fail(session, referral, f"{why}: {error.message}"):
                return _moved_on(referral)
            return DeliveryOutcome.FAILED
        delay = policy.delay_after(number)
        values = {"next_attempt_at": now + timedelta(seconds=delay), "last_error": error.message}
        if not transition(
            session, referral, S.PENDING, values=values, actor="worker", reason=error.message
        ):
            return _moved_on(referral)
        record(
            session,
            EventKind.DELIVERY_RETRY,
            request_id=referral.request_id,
            referral_id=referral.id,
            attempt=number,
            retry_in_seconds=round(delay, 3),
            error=error.message,
        )
        return DeliveryOutcome.RETRY


def _finish_attempt(session: Session, claim: _Claim, **values: Any) -> None:
    """Write how the attempt ended: one UPDATE of its row."""
    session.execute(update(_ATTEMPTS).where(_ATTEMPTS.c.id == claim.attempt_id).values(**values))


def _moved_on(referral: Referral) -> DeliveryOutcome:
    log.info("referral %s moved on while its push was failing", referral.id)
    return DeliveryOutcome.NOT_DUE


def _delivered(
    session: Session, referral: Referral, receipt: Receipt, poll_interval_seconds: int
) -> DeliveryOutcome:
    values = _delivered_values(receipt, poll_interval_seconds)
    if transition(session, referral, S.DELIVERED, values=values, actor="worker"):
        return DeliveryOutcome.DELIVERED
    # Someone else settled it while we pushed (a lease ran out): the idempotency key made our push
    # land on the same case, so only record what we learned if nobody has yet.
    session.refresh(referral)
    if referral.external_id is None and referral.state == S.DELIVERY_FAILED:
        transition(
            session,
            referral,
            S.DELIVERED,
            values=values,
            actor="worker",
            reason="a late receipt after the delivery was given up",
        )
        return DeliveryOutcome.DELIVERED
    return DeliveryOutcome.NOT_DUE


def _fail(session: Session, referral: Referral, reason: str) -> bool:
    values = {"next_attempt_at": None, "last_error": reason}
    if not transition(
        session, referral, S.DELIVERY_FAILED, values=values, actor="worker", reason=reason
    ):
        return False
    record(
        session,
        EventKind.ALERT,
        request_id=referral.request_id,
        referral_id=referral.id,
        **_alert_data(referral, reason),
    )
    return True
