"""Sweepers racing on PostgreSQL: SKIP LOCKED splits the due referrals, the unique step keys stop
a second take — every step once, every message recorded once, whatever the interleaving."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from hub.agreements.registry import get_registry
from hub.db.models_deadlines import EscalationStep, Notification
from hub.db.session import session_scope
from hub.deadlines.escalation import sweep_deadlines
from tests.deadlines.support import referral_started_at, tehran

pytestmark = pytest.mark.usefixtures("database", "sandboxes")


def test_eight_sweepers_at_once_take_each_of_forty_referrals_steps_exactly_once() -> None:
    start = tehran(2027, 6, 6, 8, 0)  # Sunday 16 Khordad 1406
    ids = [referral_started_at(start) for _ in range(40)]
    now = tehran(2027, 6, 6, 10, 1)  # both view rungs are due: reminder and supervisor
    barrier = threading.Barrier(8)

    def sweep(_: int) -> int:
        barrier.wait()
        with session_scope() as session:
            return sweep_deadlines(session, get_registry(), now, limit=7).steps

    total = 0
    for _ in range(4):  # limit 7 × 8 sweepers per round: some rounds find what others left
        with ThreadPoolExecutor(8) as pool:
            total += sum(pool.map(sweep, range(8)))
    with session_scope() as session:
        per_referral = session.execute(
            select(EscalationStep.referral_id, func.count())
            .where(EscalationStep.referral_id.in_(ids))
            .group_by(EscalationStep.referral_id)
        ).all()
        messages = session.scalar(select(func.count()).where(Notification.referral_id.in_(ids)))
    assert sorted(count for _, count in per_referral) == [2] * 40
    assert total >= 80  # every step was taken by some sweeper (others' referrals may add more)
    assert messages == 80  # one reminder to the desk, one letter to the supervisor, each
