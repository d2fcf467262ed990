"""Looking an unconfirmed referral up at its agency (``delivery.idempotency: lookup``).

A push whose answer was unclear may have opened a case. Where the agreement says the agency can be
asked for a case by our reference, the referral waits ``unconfirmed`` with ``next_attempt_at``
set; the dispatch sweep sends ``hub.look_up_unconfirmed`` for its agreement, which claims the due
ones (the claim's lease is ``next_attempt_at``, so a lost worker's look-ups come due again) and
asks the connector's ``find``:

- found → ``delivered`` with the agency's case, polled from now on;
- none → ``pending``, due now: the agency does not hold it, so a push cannot duplicate it;
- a transient error → asked again after a backoff;
- a refusal, or a connector that cannot look up → it waits for a person, with an alert.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agreements.model import Idempotency
from hub.agreements.registry import AgreementRegistry
from hub.core.backoff import RetryPolicy
from hub.core.errors import ConnectorError, NotFound
from hub.core.jsonsafe import json_safe
from hub.core.settings import Settings
from hub.core.states import ReferralState
from hub.db.bulk import lease_due
from hub.db.models import Referral, Request
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.referrals.events import AlertKind, alert
from hub.referrals.lifecycle import transition
from hub.referrals.outgoing import outgoing

log = logging.getLogger(__name__)
S = ReferralState


class LookupOutcome(StrEnum):
    FOUND = "found"  # the agency holds the case: delivered
    ABSENT = "absent"  # it holds none: pending, pushed again
    RETRY = "retry"  # the agency could not be asked now
    WAITS = "waits"  # only a person can settle it now
    NOT_DUE = "not_due"  # someone else settled it meanwhile


def due_lookups(session: Session, now: datetime) -> list[str]:
    """Agreements with unconfirmed referrals due for a look-up."""
    return list(
        session.scalars(
            select(Referral.agreement_id)
            .where(Referral.state == str(S.UNCONFIRMED), Referral.next_attempt_at <= now)
            .distinct()
        )
    )


def claim_lookups(
    session: Session, agreement_id: str, now: datetime, lease: timedelta, limit: int
) -> list[int]:
    """Ids of this agreement's due unconfirmed referrals, each leased to the caller."""
    return lease_due(
        session,
        Referral,
        Referral.agreement_id == agreement_id,
        Referral.state == str(S.UNCONFIRMED),
        now=now,
        lease=lease,
        limit=limit,
    )


def look_up(referral_id: int, registry: AgreementRegistry, settings: Settings) -> LookupOutcome:
    """Ask the agency whether it holds this unconfirmed referral's case, and settle it so."""
    with session_scope() as session:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.state != S.UNCONFIRMED:
            return LookupOutcome.NOT_DUE
        request = session.get_one(Request, referral.request_id)
        try:
            agreement = registry.get(referral.agreement_id)
        except NotFound:
            return _waits(session, referral, "its agreement is not loaded")
        connector = registry.connector(agreement)
        if agreement.idempotency is not Idempotency.LOOKUP or not connector.can_find():
            return _waits(session, referral, "its agreement names no way to look a case up")
        sent = outgoing(referral, request, agreement)
    try:
        receipt = connector.find(sent)
        error = None
    except ConnectorError as exc:
        receipt, error = None, exc
    except Exception as exc:  # a connector's bug: asked again, like any transient failure
        log.exception("the %s connector crashed looking up %s", agreement.id, sent.reference)
        receipt, error = None, ConnectorError(f"connector crashed: {exc!r}")
    with session_scope() as session:
        referral = session.get_one(Referral, referral_id)
        if referral.state != S.UNCONFIRMED:
            return LookupOutcome.NOT_DUE
        now = utcnow()
        if error is not None and error.permanent:
            return _waits(session, referral, f"the agency refused the look-up: {error.message}")
        if error is not None:
            policy = RetryPolicy.for_agreement(agreement.delivery, settings)
            delay = policy.delay_after(max(1, referral.attempts))
            referral.next_attempt_at = now + timedelta(seconds=delay)
            referral.last_error = f"look-up failed, asked again: {error.message}"
            return LookupOutcome.RETRY
        if receipt is None:
            transition(
                session,
                referral,
                S.PENDING,
                values={"next_attempt_at": now, "last_error": None},
                actor="lookup",
                reason="not found at the agency by its reference: pushed again",
            )
            return LookupOutcome.ABSENT
        values = {
            "external_id": receipt.external_id,
            "receipt": json_safe(dict(receipt.raw)),
            "next_attempt_at": None,
            "last_error": None,
            "next_poll_at": now + timedelta(seconds=agreement.poll_interval_seconds),
        }
        reason = f"found at the agency as case {receipt.external_id} by its reference"
        transition(session, referral, S.DELIVERED, values=values, actor="lookup", reason=reason)
        return LookupOutcome.FOUND


def _waits(session: Session, referral: Referral, why: str) -> LookupOutcome:
    referral.next_attempt_at = None
    alert(
        session,
        AlertKind.DELIVERY_UNCONFIRMED,
        request_id=referral.request_id,
        referral_id=referral.id,
        actor="lookup",
        agreement=referral.agreement_id,
        reason=f"not looked up: {why}; a person must confirm its case id or resend it",
    )
    return LookupOutcome.WAITS
