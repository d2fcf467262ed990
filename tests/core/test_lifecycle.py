"""The referral state machine: allowed moves only, compare-and-set, every move in the log."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.core.states import ReferralState as S
from hub.core.states import is_allowed
from hub.db.models import DeliveryAttempt, Event, Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.intake.submit import submit_request
from hub.referrals.lifecycle import transition
from tests.support.requests import citizen_request


@pytest.fixture
def referral_id(database: str, sandboxes: object) -> int:
    with session_scope() as session:
        result = submit_request(session, citizen_request(), get_registry(), get_settings())
        # Due only in ten years, in the intake's own transaction: a running worker would
        # otherwise deliver it (it is due at once) while the test moves it by hand.
        result.referrals[0].next_attempt_at = utcnow() + timedelta(days=3650)
        return result.referrals[0].id


def test_an_illegal_move_is_refused_recorded_and_not_applied(referral_id: int) -> None:
    with session_scope() as session:
        referral = session.get_one(Referral, referral_id)
        assert transition(session, referral, S.RESOLVED) is False
    with session_scope() as session:
        assert session.get_one(Referral, referral_id).state == S.PENDING
        refused = session.scalars(
            select(Event).where(
                Event.referral_id == referral_id, Event.kind == "referral.transition_refused"
            )
        ).one()
        assert (refused.from_state, refused.to_state) == ("pending", "resolved")


def test_two_workers_racing_for_one_referral_move_it_once(referral_id: int) -> None:
    def claim(_: int) -> bool:
        with session_scope() as session:
            referral = session.get_one(Referral, referral_id)
            return transition(session, referral, S.DELIVERING, actor="racer")

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(claim, range(8)))
    assert outcomes.count(True) == 1
    with session_scope() as session:
        moves = session.scalars(
            select(Event).where(
                Event.referral_id == referral_id,
                Event.actor == "racer",
                Event.kind == "referral.state_changed",
            )
        ).all()
        assert len(moves) == 1  # losers that came late are refused and logged, not applied


def test_a_stale_copy_cannot_overwrite_a_newer_state(referral_id: int) -> None:
    with session_scope() as session:
        stale = session.get_one(Referral, referral_id)
        session.expunge(stale)
    with session_scope() as session:
        assert transition(session, session.get_one(Referral, referral_id), S.DELIVERING)
    with session_scope() as session:
        session.add(stale)
        assert transition(session, stale, S.DELIVERING) is False


def test_agency_progress_never_goes_backwards() -> None:
    assert is_allowed(S.DELIVERED, S.RESOLVED)
    assert not is_allowed(S.RESOLVED, S.VIEWED)
    assert not is_allowed(S.IN_PROGRESS, S.DELIVERED)
    assert not is_allowed(S.REROUTED, S.PENDING)


def test_moves_and_attempts_are_written_on_tables_whose_columns_are_named_as_attributes() -> None:
    # transition() and the delivery settle UPDATE the tables with attribute names as keys.
    for model in (Referral, DeliveryAttempt):
        renamed = {
            a.key: a.columns[0].name
            for a in inspect(model).column_attrs
            if a.key != a.columns[0].name
        }
        assert renamed == {}, f"{model.__name__}: attribute ≠ column {renamed}"


def test_a_move_writes_the_row_and_the_object_and_one_event(referral_id: int) -> None:
    with session_scope() as session:
        referral = session.get_one(Referral, referral_id)
        version = referral.version
        assert transition(session, referral, S.DELIVERING, values={"attempts": 7})
        assert (referral.state, referral.version, referral.attempts) == (
            S.DELIVERING,
            version + 1,
            7,
        )
    with session_scope() as session:
        stored = session.get_one(Referral, referral_id)
        assert (stored.state, stored.version, stored.attempts) == (S.DELIVERING, version + 1, 7)
        moves = session.scalars(
            select(Event).where(Event.referral_id == referral_id, Event.to_state == S.DELIVERING)
        ).all()
        assert len(moves) == 1
