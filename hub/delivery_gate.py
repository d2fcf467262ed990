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
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.breaker import Breaker, BreakerPolicy, get_breakers
from hub.db.models import Referral
from hub.errors import ConnectorError
from hub.settings import Settings
from hub.states import ReferralState
from hub.throttle import Throttle

log = logging.getLogger(__name__)


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


def defer_in(session: Session, referral: Referral, until: datetime, why: str) -> bool:
    """Put a pending referral's next attempt at ``until``, in the claim's own transaction.

    False if it is no longer pending. Not an attempt, and not a state change: no event.
    """
    result = session.execute(
        update(Referral)
        .where(Referral.id == referral.id, Referral.state == str(ReferralState.PENDING))
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    log.info("referral %s waits until %s: %s", referral.id, until.isoformat(), why)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def record_push(agreement: Agreement, settings: Settings, error: ConnectorError | None) -> None:
    """A delivered push closes the breaker; a transient failure counts towards opening it."""
    transient = error is not None and not error.permanent
    breaker_for(agreement, settings).record(transient_failure=transient)


def _at(epoch: float | None) -> datetime:
    return datetime.fromtimestamp(epoch or 0, UTC)
