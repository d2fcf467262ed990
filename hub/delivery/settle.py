"""Settling a batch of pushes: what each push's answer means, written in one transaction.

Each push is *judged* once (:func:`_judge`): delivered (and due for polling); or back to pending
with a backoff and a retry event; or, on a permanent error or the last attempt, delivery_failed
with an alert. Never a silent drop. The verdicts of a batch are written together — every move a
compare-and-set on (state, version), one executemany per shape of move, the attempts' ends and
the events in one statement each. If any referral of the batch was moved by someone else
meanwhile (its lease ran out), that transaction is rolled back and each verdict is written on
its own with :func:`hub.referrals.lifecycle.transition`, exactly as a single delivery.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement, Idempotency
from hub.core import metrics
from hub.core.backoff import RetryPolicy
from hub.core.errors import ConnectorError
from hub.core.jsonsafe import json_safe
from hub.core.settings import Settings
from hub.core.states import ReferralState
from hub.db.bulk import update_rows
from hub.db.models import DeliveryAttempt, Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.plugins.connector import OutgoingReferral, Receipt
from hub.referrals.events import AlertKind, EventKind, event_row, insert_events, record
from hub.referrals.lifecycle import move_changes, transition

log = logging.getLogger(__name__)
S = ReferralState
_ATTEMPTS = DeliveryAttempt.__table__


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    UNCONFIRMED = "unconfirmed"  # sent, answer unclear, no safe re-push: a find, or a person
    NOT_DUE = "not_due"  # someone else has it, or it is not waiting for delivery
    DEFERRED = "deferred"  # its agency's breaker is open or its throttle full: not an attempt


@dataclass(frozen=True)
class Claim:
    """What the claim's transaction hands to the push and the settle.

    ``referral`` is the claim's own (now detached) row, as the claim left it: the settle's
    compare-and-set on its state and version refuses it if anyone moved it in between.
    """

    referral: Referral
    attempt_id: int
    attempt_detail: dict[str, Any]
    payload: OutgoingReferral | None  # None: the referral's agreement is not loaded
    agreement: Agreement | None


@dataclass(frozen=True)
class Pushed:
    claim: Claim
    receipt: Receipt | None
    error: ConnectorError | None
    duration_ms: int


@dataclass(frozen=True)
class _Verdict:
    outcome: DeliveryOutcome
    to: ReferralState
    values: dict[str, Any]  # written with the move
    reason: str | None  # on the move's event
    attempt: dict[str, Any]  # how the attempt ended: outcome, error, detail
    follow: tuple[EventKind, dict[str, Any]] | None  # the event after the move, if any


class _Moved(Exception):
    """A referral of the batch was moved by someone else while it was being pushed."""


def settle(pushed: list[Pushed], settings: Settings) -> list[DeliveryOutcome]:
    """Write every push's outcome: together if nobody moved a referral meanwhile, else one by
    one. The outcomes, in order."""
    now = utcnow()
    verdicts = [_judge(p, settings, now) for p in pushed]
    try:
        with session_scope() as session:
            _write_together(session, pushed, verdicts, now)
    except _Moved:
        log.info("a referral of a batch moved while it was pushed; settling them one by one")
        return [_write_alone(p, v, now) for p, v in zip(pushed, verdicts, strict=True)]
    for p, verdict in zip(pushed, verdicts, strict=True):
        metrics.referral_moved(p.claim.referral.agreement_id, verdict.to)
    return [v.outcome for v in verdicts]


def delivered_values(
    external_id: str, raw: Mapping[str, Any], poll_interval: float, now: datetime
) -> dict[str, Any]:
    """What a referral the agency took is written with: its case id and receipt, no attempt
    due, polled from one interval on."""
    return {
        "external_id": external_id,
        "receipt": json_safe(dict(raw)),
        "next_attempt_at": None,
        "last_error": None,
        "next_poll_at": now + timedelta(seconds=poll_interval),
    }


def _judge(p: Pushed, settings: Settings, now: datetime) -> _Verdict:
    claim, error = p.claim, p.error
    agreement = claim.agreement
    if p.receipt is not None:
        interval = agreement.poll_interval_seconds if agreement else 0
        values = delivered_values(p.receipt.external_id, p.receipt.raw, interval, now)
        finished = {"outcome": "delivered", "error": None, "detail": claim.attempt_detail}
        return _Verdict(DeliveryOutcome.DELIVERED, S.DELIVERED, values, None, finished, None)
    assert error is not None
    policy = RetryPolicy.for_agreement(agreement.delivery if agreement else {}, settings)
    if error.ambiguous and not (agreement and agreement.idempotency.repush_is_safe):
        return _unconfirmed(p, error, agreement, policy, now)
    finished = {
        "outcome": "permanent" if error.permanent else "transient",
        "error": str(error.message),
        "detail": {**claim.attempt_detail, **json_safe(error.detail)},
    }
    number = claim.referral.attempts
    if error.permanent or policy.exhausted(number):
        why = "permanent error" if error.permanent else f"gave up after {number} attempts"
        reason = f"{why}: {error.message}"
        alert = {"alert": str(AlertKind.DELIVERY_FAILED), "agreement": claim.referral.agreement_id}
        return _Verdict(
            DeliveryOutcome.FAILED,
            S.DELIVERY_FAILED,
            {"next_attempt_at": None, "last_error": reason},
            reason,
            finished,
            (EventKind.ALERT, {**alert, "reason": reason}),
        )
    delay = policy.delay_after(number)
    retry = {"attempt": number, "retry_in_seconds": round(delay, 3), "error": error.message}
    return _Verdict(
        DeliveryOutcome.RETRY,
        S.PENDING,
        {"next_attempt_at": now + timedelta(seconds=delay), "last_error": error.message},
        error.message,
        finished,
        (EventKind.DELIVERY_RETRY, retry),
    )


def _unconfirmed(
    p: Pushed,
    error: ConnectorError,
    agreement: Agreement | None,
    policy: RetryPolicy,
    now: datetime,
) -> _Verdict:
    """The agency may hold the case and cannot de-duplicate a re-push: the referral waits,
    ``unconfirmed``, for a look-up by our reference (``idempotency: lookup``) or a person."""
    claim = p.claim
    lookup = agreement is not None and agreement.idempotency is Idempotency.LOOKUP
    finished = {
        "outcome": "unconfirmed",
        "error": str(error.message),
        "detail": {**claim.attempt_detail, **json_safe(error.detail)},
    }
    reason = f"answer unclear, the agency may hold the case: {error.message}"
    due = now + timedelta(seconds=policy.delay_after(1)) if lookup else None
    then = (
        "it will be looked up at the agency by its reference"
        if lookup
        else "look it up at the agency, then confirm its case id or resend it knowing it may "
        "duplicate (samad-hub referrals confirm / resend --may-duplicate)"
    )
    alert = {
        "alert": str(AlertKind.DELIVERY_UNCONFIRMED),
        "agreement": claim.referral.agreement_id,
        "reason": reason,
        "next": then,
    }
    return _Verdict(
        DeliveryOutcome.UNCONFIRMED,
        S.UNCONFIRMED,
        {"next_attempt_at": due, "last_error": reason},
        reason,
        finished,
        (EventKind.ALERT, alert),
    )


def _write_together(
    session: Session, pushed: list[Pushed], verdicts: list[_Verdict], now: datetime
) -> None:
    """Every verdict of the batch in this transaction; ``_Moved`` if a compare-and-set lost."""
    moves: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    attempts, events = [], []
    for p, verdict in zip(pushed, verdicts, strict=True):
        referral = p.claim.referral
        attempts.append(
            {
                "where_id": p.claim.attempt_id,
                **verdict.attempt,
                "finished_at": now,
                "duration_ms": p.duration_ms,
            }
        )
        changes = move_changes(referral, verdict.to, now, verdict.values)
        moves[tuple(sorted(changes))].append(
            {
                **changes,
                "where_id": referral.id,
                "where_state": referral.state,
                "where_version": referral.version,
            }
        )
        ids = (referral.request_id, referral.id)
        reason: dict[str, Any] = {"reason": verdict.reason} if verdict.reason else {}
        moved = (referral.state, verdict.to)
        events.append(event_row(EventKind.REFERRAL_STATE, *ids, *moved, actor="worker", **reason))
        if verdict.follow is not None:
            kind, data = verdict.follow
            events.append(event_row(kind, *ids, actor="worker", **data))
    for rows in moves.values():  # compare-and-set, every row of one shape in one statement
        if update_rows(session, Referral, rows, where=("id", "state", "version")) != len(rows):
            raise _Moved()
    update_rows(session, DeliveryAttempt, attempts, where=("id",))
    insert_events(session, events)


def _write_alone(p: Pushed, verdict: _Verdict, now: datetime) -> DeliveryOutcome:
    """One verdict in its own transaction, by :func:`transition`."""
    referral = p.claim.referral
    with session_scope() as session:
        session.add(referral)  # re-attached as the claim left it: no re-read
        session.execute(
            update(_ATTEMPTS)
            .where(_ATTEMPTS.c.id == p.claim.attempt_id)
            .values(**verdict.attempt, finished_at=now, duration_ms=p.duration_ms)
        )
        if transition(
            session,
            referral,
            verdict.to,
            values=verdict.values,
            actor="worker",
            reason=verdict.reason,
        ):
            if verdict.follow is not None:
                kind, data = verdict.follow
                ids: dict[str, Any] = {
                    "request_id": referral.request_id,
                    "referral_id": referral.id,
                }
                record(session, kind, **ids, actor="worker", **data)
            return verdict.outcome
        if verdict.outcome is DeliveryOutcome.DELIVERED:
            return _late_receipt(session, referral, verdict.values)
        log.info("referral %s moved on while its push was failing", referral.id)
        return DeliveryOutcome.NOT_DUE


def _late_receipt(session: Session, referral: Referral, values: dict[str, Any]) -> DeliveryOutcome:
    """Someone else settled it while we pushed (a lease ran out): the idempotency key made our
    push land on the same case, so only record what we learned if nobody has yet."""
    session.refresh(referral)
    if referral.external_id is None and referral.state in (S.DELIVERY_FAILED, S.UNCONFIRMED):
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
