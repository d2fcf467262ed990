"""Before a push: may this agency be called now? After it: tell its breaker how it went.

The gate asks the agency's circuit breaker (``hub.breaker``) and throttle (``hub.throttle``). When
either says "not now", the referral is *deferred*: it stays ``pending`` with ``next_attempt_at``
at the time the breaker probes or the throttle has a slot, and the dispatch sweep sends it then.
A deferral is not an attempt: nothing is pushed, ``attempts`` is unchanged, so an agency down for
hours does not use up its referrals' retries.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import update

from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.breaker import Breaker, BreakerPolicy, get_breakers
from hub.db.models import Referral
from hub.db.session import session_scope
from hub.errors import ConnectorError, NotFound
from hub.settings import Settings
from hub.states import ReferralState
from hub.throttle import Throttle

log = logging.getLogger(__name__)


def gate(referral_id: int, registry: AgreementRegistry, settings: Settings) -> datetime | None:
    """Defer this referral if its agency may not be called now; None: go ahead and claim it."""
    with session_scope() as session:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.state != ReferralState.PENDING:
            return None  # the claim decides what to do with it
        agreement_id = referral.agreement_id
    try:
        agreement = registry.get(agreement_id)
    except NotFound:
        return None
    until = hold_until(agreement, settings)
    if until is None:
        return None
    defer(referral_id, until, f"agency {agreement_id} is not called now")
    return until


def breaker_for(agreement: Agreement, settings: Settings) -> Breaker:
    policy = BreakerPolicy.for_agreement(agreement.delivery, settings)
    return Breaker(agreement.id, policy, get_breakers())


def hold_until(agreement: Agreement, settings: Settings) -> datetime | None:
    """None: push now (a throttle slot is taken). Else when to try again."""
    admission = breaker_for(agreement, settings).admit()
    if not admission.allowed:
        return _at(admission.retry_at)
    free_at = Throttle.for_agreement(agreement.id, agreement.delivery).take()
    return _at(free_at) if free_at is not None else None


def defer(referral_id: int, until: datetime, why: str) -> bool:
    """Put a pending referral's next attempt at ``until``; False if it is no longer pending."""
    with session_scope() as session:
        result = session.execute(
            update(Referral)
            .where(Referral.id == referral_id, Referral.state == str(ReferralState.PENDING))
            .values(next_attempt_at=until)
            .execution_options(synchronize_session=False)
        )
    log.info("referral %s waits until %s: %s", referral_id, until.isoformat(), why)
    return result.rowcount == 1  # type: ignore[attr-defined]


def record_push(agreement: Agreement, settings: Settings, error: ConnectorError | None) -> None:
    """A delivered push closes the breaker; a transient failure counts towards opening it."""
    transient = error is not None and not error.permanent
    breaker_for(agreement, settings).record(transient_failure=transient)


def _at(epoch: float | None) -> datetime:
    return datetime.fromtimestamp(epoch or 0, UTC)
