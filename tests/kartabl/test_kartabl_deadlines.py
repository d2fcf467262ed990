"""A kartabl agency's referrals meet the same deadlines, ladder and figures as any other's."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
from sqlalchemy import select, update

from hub.agreements.registry import get_registry
from hub.db.models import Referral
from hub.db.models_deadlines import EscalationStep, Violation
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.deadlines.escalation import sweep_deadlines
from hub.supervision.figures import current_month, figures
from tests.kartabl.conftest import AQQALA, KORDKUY, Filed


def _referral(referral_id: int) -> Referral:
    with session_scope() as session:
        found = session.get_one(Referral, referral_id)
        session.expunge(found)
        return found


def test_the_view_deadline_is_met_by_opening_the_referral_and_counts_in_the_figures(
    filed: Callable[..., Filed], person: Callable[..., str], logged_in: Callable[..., httpx.Client]
) -> None:
    case = filed(KORDKUY)
    due = _referral(case.referral_id).view_due_at
    assert due is not None
    logged_in(person("agency-lead", KORDKUY)).get(f"/kartabl/referrals/{case.reference}")
    referral = _referral(case.referral_id)
    assert referral.viewed_at is not None and referral.viewed_at <= due
    with session_scope() as session:
        board = figures(session, current_month(utcnow()), agreement_ids=[KORDKUY])
    [row] = [a for a in board.agencies if a.agreement_id == KORDKUY]
    assert row.received >= 1 and row.delivered >= 1
    assert row.viewed_on_time_pct == 100.0


def test_an_unopened_referral_is_escalated_and_a_missed_result_is_a_violation(
    filed: Callable[..., Filed], person: Callable[..., str], logged_in: Callable[..., httpx.Client]
) -> None:
    case = filed()
    made = _referral(case.referral_id)
    assert made.view_due_at and made.result_due_at and made.next_deadline_at
    with session_scope() as session:
        sweep_deadlines(session, get_registry(), made.result_due_at + timedelta(minutes=1), 10_000)
    with session_scope() as session:
        steps = session.execute(
            select(EscalationStep.deadline, EscalationStep.action).where(
                EscalationStep.referral_id == case.referral_id
            )
        ).all()
        violations = session.scalars(
            select(Violation).where(Violation.referral_id == case.referral_id)
        ).all()
        assert ("view", "remind_agency") in steps
        assert ("result", "record_violation") in steps
        assert [(v.deadline, v.agreement_id) for v in violations] == [("result", AQQALA)]
    with session_scope() as session:  # its view deadline passed: the inbox shows it late
        session.execute(
            update(Referral)
            .where(Referral.id == case.referral_id)
            .values(view_due_at=utcnow() - timedelta(days=3))
        )
    inbox = logged_in(person("agency-lead", AQQALA)).get("/kartabl").text
    item = inbox.split(f'data-reference="{case.reference}"')[1].split("</li>\n</ul>")[0]
    assert 'data-deadline="view" data-level="late"' in item
