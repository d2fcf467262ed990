"""Delivering one referral to its agency: claim, record the attempt, push, settle.

1. Claim by compare-and-set (pending → delivering) and record the attempt — committed *before* the
   agency is called. A delivering referral whose worker died is put back to pending by the
   dispatch sweep when its lease runs out.
2. Push through the agreement's connector, outside any transaction.
3. Settle: delivered (and due for polling); or back to pending with a backoff; or, on a
   permanent error or the last attempt, delivery_failed with an alert. Never a silent drop.

Safe to run twice for one referral: the claim lets one through, and the idempotency key makes a
re-push after a crash land on the same case at the agency.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub import metrics
from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.backoff import RetryPolicy
from hub.connector import OutgoingReferral, Receipt
from hub.db.models import DeliveryAttempt, Referral, Request
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery_gate import defer_in, hold_until, record_push
from hub.errors import ConnectorError, HubError, NotFound
from hub.events import EventKind, record
from hub.jsonsafe import json_safe
from hub.lifecycle import transition
from hub.referrals import outgoing
from hub.settings import Settings
from hub.states import ReferralState

log = logging.getLogger(__name__)
S = ReferralState
_ATTEMPTS = DeliveryAttempt.__table__


class DeliveryOutcome(StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FAILED = "failed"
    NOT_DUE = "not_due"  # someone else has it, or it is not waiting for delivery
    DEFERRED = "deferred"  # its agency's breaker is open or its throttle full: not an attempt


@dataclass(frozen=True)
class _Claim:
    """What the claim's transaction hands to the push and the settle.

    ``referral`` and ``attempt`` are the claim's own (now detached) rows: the settle re-attaches
    them instead of reading them again, and its compare-and-set still refuses a referral that
    anyone moved in between.
    """

    referral: Referral
    attempt: DeliveryAttempt
    payload: OutgoingReferral | None  # None: the referral's agreement is not loaded
    agreement: Agreement | None


def deliver(
    referral_id: int, registry: AgreementRegistry, settings: Settings, worker: str = ""
) -> DeliveryOutcome:
    claim = _claim(referral_id, registry, settings, worker)
    if not isinstance(claim, _Claim):
        return claim
    agreement = claim.agreement
    if agreement is None or claim.payload is None:
        # Removed, or never valid in this process (a half-written file): wait, it may come back.
        missing = ConnectorError(
            f"agreement {claim.referral.agreement_id!r} is not loaded", permanent=False
        )
        return _settle(claim, None, missing, 0, RetryPolicy.for_agreement({}, settings), 0)
    started = time.monotonic()
    try:
        receipt = registry.connector(agreement).push(claim.payload)
        error: ConnectorError | None = None
    except ConnectorError as exc:
        receipt, error = None, exc
    except HubError as exc:  # e.g. the connector type is no longer installed
        receipt, error = None, ConnectorError(str(exc), permanent=False)
    except Exception as exc:  # a connector bug must not lose the referral: keep it, retry, alert
        log.exception("connector %s crashed on referral %s", agreement.connector_type, referral_id)
        receipt, error = None, ConnectorError(f"connector crashed: {exc!r}", permanent=False)
    duration_ms = int((time.monotonic() - started) * 1000)
    metrics.delivery_finished(agreement.id, duration_ms / 1000, error)
    record_push(agreement, settings, error)
    policy = RetryPolicy.for_agreement(agreement.delivery, settings)
    return _settle(claim, receipt, error, duration_ms, policy, agreement.poll_interval_seconds)


def _claim(
    referral_id: int, registry: AgreementRegistry, settings: Settings, worker: str
) -> _Claim | DeliveryOutcome:
    with session_scope() as session:
        row = session.execute(
            select(Referral, Request)
            .join(Request, Request.id == Referral.request_id)
            .where(Referral.id == referral_id)
        ).first()
        if row is None:
            raise NotFound(f"no referral {referral_id}")
        referral, request = row
        if referral.state != S.PENDING:
            return DeliveryOutcome.NOT_DUE
        try:
            agreement: Agreement | None = registry.get(referral.agreement_id)
        except NotFound:
            agreement = None
        if agreement is not None and (until := hold_until(agreement, settings)) is not None:
            defer_in(session, referral, until, f"agency {agreement.id} is not called now")
            return DeliveryOutcome.DEFERRED
        now = utcnow()
        lease = now + timedelta(seconds=settings.delivery_lease_seconds)
        attempt_number = referral.attempts + 1
        values = {"attempts": attempt_number, "next_attempt_at": lease}
        if not transition(session, referral, S.DELIVERING, values=values, actor="worker"):
            return DeliveryOutcome.NOT_DUE
        version = agreement.version if agreement else None
        attempt = DeliveryAttempt(
            referral_id=referral.id,
            number=attempt_number,
            outcome="started",
            worker=worker,
            detail={"agreement_version": version},
            started_at=now,
        )
        session.add(attempt)
        session.flush()
        payload = outgoing(referral, request, agreement) if agreement else None
        return _Claim(referral, attempt, payload, agreement)


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
        attempt, referral = claim.attempt, claim.referral
        session.add(referral)  # re-attached as the claim left it: no re-read
        finished: dict[str, Any] = {"finished_at": now, "duration_ms": duration_ms}
        if receipt is not None:
            _finish_attempt(session, attempt, outcome="delivered", **finished)
            return _delivered(session, referral, receipt, poll_interval_seconds)
        assert error is not None
        _finish_attempt(
            session,
            attempt,
            outcome="permanent" if error.permanent else "transient",
            error=str(error.message),
            detail={**(attempt.detail or {}), **json_safe(error.detail)},
            **finished,
        )
        if error.permanent or policy.exhausted(attempt.number):
            why = (
                "permanent error" if error.permanent else f"gave up after {attempt.number} attempts"
            )
            if not _fail(session, referral, f"{why}: {error.message}"):
                return _moved_on(referral)
            return DeliveryOutcome.FAILED
        delay = policy.delay_after(attempt.number)
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
            attempt=attempt.number,
            retry_in_seconds=round(delay, 3),
            error=error.message,
        )
        return DeliveryOutcome.RETRY


def _finish_attempt(session: Session, attempt: DeliveryAttempt, **values: Any) -> None:
    """Write how the attempt ended: one UPDATE of its row (the claim's object stays detached)."""
    session.execute(update(_ATTEMPTS).where(_ATTEMPTS.c.id == attempt.id).values(**values))


def _moved_on(referral: Referral) -> DeliveryOutcome:
    log.info("referral %s moved on while its push was failing", referral.id)
    return DeliveryOutcome.NOT_DUE


def _delivered(
    session: Session, referral: Referral, receipt: Receipt, poll_interval_seconds: int
) -> DeliveryOutcome:
    now = utcnow()
    values = {
        "external_id": receipt.external_id,
        "receipt": json_safe(dict(receipt.raw)),
        "next_attempt_at": None,
        "last_error": None,
        "next_poll_at": now + timedelta(seconds=poll_interval_seconds),
    }
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
        alert="delivery_failed",
        agreement=referral.agreement_id,
        reason=reason,
    )
    return True
