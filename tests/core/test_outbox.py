"""What is due lives in the database: a lost task or a dead worker delays a referral, never
loses it."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from hub.agreements.registry import AgreementRegistry, get_registry
from hub.core.settings import get_settings
from hub.core.states import ReferralState
from hub.db.models import DeliveryAttempt, Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery.batch import DeliveryOutcome, deliver, deliver_referrals
from hub.delivery.dispatch import due_agreements
from hub.intake.submit import submit_request
from hub.plugins.manager import plugins
from tests.core.waiting import wait_for_states
from tests.support.requests import citizen_request

FAR = utcnow() + timedelta(days=365)


def _register_without_sending(due: datetime | None = None) -> tuple[str, int]:
    """Intake committed, but the process died before it could wake the agency.

    ``due``: its delivery due then, not at once (in the intake's own transaction).
    """
    with session_scope() as session:
        result = submit_request(session, citizen_request(), get_registry(), get_settings())
        referral_id = result.referrals[0].id
        if due is not None:
            session.execute(
                update(Referral).where(Referral.id == referral_id).values(next_attempt_at=due)
            )
        return result.request.tracking_code, referral_id


@pytest.mark.usefixtures("worker", "clean_sandboxes")
def test_a_referral_whose_task_was_never_sent_is_delivered_by_the_dispatch_sweep(
    api: httpx.Client,
) -> None:
    code, _ = _register_without_sending()
    body = wait_for_states(api, code, ["resolved"], timeout=40)
    assert body["referrals"][0]["attempts"] == 1


def test_a_delivery_whose_worker_died_goes_back_to_pending_when_its_lease_runs_out(
    database: str, sandboxes: object
) -> None:
    _, referral_id = _register_without_sending(due=FAR)
    with session_scope() as session:
        # As a worker leaves it when killed mid-push: delivering, lease already over.
        session.execute(
            update(Referral)
            .where(Referral.id == referral_id)
            .values(state="delivering", attempts=1, next_attempt_at=utcnow() - timedelta(1))
        )
    with session_scope() as session:
        woken = due_agreements(session, limit=10_000)
    assert "golestan-water" in woken
    with session_scope() as session:
        referral = session.get_one(Referral, referral_id)
        assert referral.state == ReferralState.PENDING
        assert referral.next_attempt_at <= utcnow()  # due at once: its agency's task takes it


def test_two_batches_never_take_the_same_referral(database: str, sandboxes: object) -> None:
    ids = [_register_without_sending(due=FAR)[1] for _ in range(5)]  # never due for a worker
    registry, settings = get_registry(), get_settings()
    with session_scope() as other_worker:
        # Another worker's claim holds the first two (its transaction is still open).
        locked = select(Referral.id).where(Referral.id.in_(ids[:2])).with_for_update()
        assert len(other_worker.scalars(locked).all()) == 2
        outcomes = deliver_referrals(ids, registry, settings)
    assert outcomes == [DeliveryOutcome.DELIVERED] * 3  # without waiting for the locked two
    with session_scope() as session:
        states = dict(
            session.execute(select(Referral.id, Referral.state).where(Referral.id.in_(ids))).all()
        )
    assert [states[i] for i in ids] == ["pending", "pending", "delivered", "delivered", "delivered"]
    assert deliver_referrals(ids, registry, settings) == [DeliveryOutcome.DELIVERED] * 2
    with session_scope() as session:
        attempts = session.scalars(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.referral_id.in_(ids))
        ).one()
    assert attempts == 5  # each pushed once


def test_a_referral_whose_agreement_is_not_loaded_waits_and_is_not_failed_at_once(
    database: str, sandboxes: object, tmp_path: Path
) -> None:
    _, referral_id = _register_without_sending(due=FAR)
    # A worker that sees no agreement file (removed, or half-written as it looked).
    empty = AgreementRegistry(tmp_path, plugins(), get_settings())
    assert deliver(referral_id, empty, get_settings()) is DeliveryOutcome.RETRY
    with session_scope() as session:
        referral = session.get_one(Referral, referral_id)
        assert referral.state == ReferralState.PENDING
        assert referral.last_error == "agreement 'golestan-water' is not loaded"
        assert referral.attempts == 1
