"""Before a push: may this agency be called now? After it: tell its breaker how it went.

The gate asks the agency's circuit breaker (``hub.delivery.breaker``) and throttle
(``hub.delivery.throttle``). When
either says "not now", the referral is *deferred*: it stays ``pending`` with ``next_attempt_at``
at the time the breaker probes or the throttle has a slot, and the dispatch sweep sends it then.
A deferral is not an attempt: nothing is pushed, ``attempts`` is unchanged, so an agency down for
hours does not use up its referrals' retries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.core.errors import ConnectorError
from hub.core.settings import Settings
from hub.core.states import ReferralState
from hub.db.models import Referral
from hub.delivery.breaker import Breaker, BreakerPolicy, get_breakers
from hub.delivery.throttle import Throttle

log = logging.getLogger(__name__)


def breaker_for(agreement: Agreement, settings: Settings) -> Breaker:
    policy = BreakerPolicy.for_agreement(agreement.delivery, settings)
    return Breaker(agreement.id, policy, get_breakers())


def admit_batch(
    session: Session, referrals: Sequence[Referral], agreement: Agreement, settings: Settings
) -> list[Referral]:
    """Those of ``referrals`` that may be pushed now (in order); the others are deferred or left.

    An open breaker defers them all until it probes. A half-open one lets one through — the
    probe: of those due, the one with the fewest attempts, so that probes into an agency that is
    still down are spread over its referrals instead of using up one referral's attempts — and
    leaves the rest due: the next claim finds the breaker probing and defers them. The throttle
    gives a slot to each in turn; the first refused and all after it wait until a slot frees up.
    """
    admission = breaker_for(agreement, settings).admit()
    if not admission.allowed:
        defer_many(session, referrals, _at(admission.retry_at), f"agency {agreement.id} is down")
        return []
    wanted = list(referrals)
    if admission.probe:
        wanted = [min(referrals, key=lambda r: (r.attempts, r.next_attempt_at, r.id))]
    throttle = Throttle.for_agreement(agreement.id, agreement.delivery)
    for taken in range(len(wanted)):
        free_at = throttle.take()
        if free_at is not None:
            why = f"agency {agreement.id} takes no more pushes now"
            defer_many(session, wanted[taken:], _at(free_at), why)
            return wanted[:taken]
    return wanted


def defer_many(session: Session, referrals: Sequence[Referral], until: datetime, why: str) -> None:
    """Put pending referrals' next attempt at ``until``, in the claim's own transaction.

    Not an attempt, and not a state change: no event.
    """
    if not referrals:
        return
    session.execute(
        update(Referral)
        .where(
            Referral.id.in_([r.id for r in referrals]),
            Referral.state == str(ReferralState.PENDING),
        )
        .values(next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    log.info("%d referrals wait until %s: %s", len(referrals), until.isoformat(), why)


def record_pushes(
    agreement: Agreement, settings: Settings, errors: Sequence[ConnectorError | None]
) -> None:
    """Tell the breaker how a batch's pushes went: an answer (a receipt, or a permanent refusal)
    closes it; each transient failure counts towards opening it — after the answers, so a batch
    that failed throughout still opens it."""
    breaker = breaker_for(agreement, settings)
    transient = [e for e in errors if e is not None and not e.permanent]
    if len(transient) < len(errors):
        breaker.record(transient_failure=False)
    for _ in transient:
        breaker.record(transient_failure=True)


def _at(epoch: float | None) -> datetime:
    return datetime.fromtimestamp(epoch or 0, UTC)
