"""The ladder of the water company's agreement, taken by the deadline sweep at chosen instants.

A complaint referred on Saturday 18 Ordibehesht 1406 (2027-05-08) at 08:00 Tehran time must be
viewed within 2 working hours (10:00) and answered within 5 working days: Sunday to Wednesday,
then — Thursday and Friday closed — Saturday 25 Ordibehesht (2027-05-15) 08:00. Monday 27
Ordibehesht is Eid al-Adha (an official holiday), so "one working day later" from Sunday 08:00
is Tuesday 08:00. All times were worked out by hand from the calendar.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.agreements.registry import get_registry
from hub.db.session import session_scope
from hub.deadlines.escalation import sweep_deadlines
from tests.deadlines.support import (
    messages,
    referral,
    referral_started_at,
    steps,
    tehran,
    violations,
)

pytestmark = pytest.mark.usefixtures("database", "sandboxes")

START = tehran(2027, 5, 8, 8, 0)
MINUTE = timedelta(minutes=1)


def sweep_at(moment):  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return sweep_deadlines(session, get_registry(), moment, limit=10_000)


def test_due_times_are_counted_in_working_time_across_the_weekend() -> None:
    made = referral(referral_started_at(START))
    assert made.view_due_at == tehran(2027, 5, 8, 10, 0)
    assert made.act_due_at == tehran(2027, 5, 10, 8, 0)  # 2 working days: Monday
    assert made.result_due_at == tehran(2027, 5, 15, 8, 0)
    assert made.next_deadline_at == tehran(2027, 5, 8, 9, 30)  # 75 % of the view deadline


def test_the_agency_is_reminded_at_75_percent_and_its_supervisor_told_at_breach() -> None:
    referral_id = referral_started_at(START)
    sweep_at(tehran(2027, 5, 8, 9, 29))
    assert steps(referral_id) == []
    sweep_at(tehran(2027, 5, 8, 9, 31))
    assert steps(referral_id) == [("view", "remind_agency", 0)]
    reminder = messages(referral_id)[0]
    assert reminder.recipient == "samad@abfa-golestan.example"
    assert reminder.subject == "یادآوری مهلت رؤیت — ارجاع " + reminder.subject.split()[-1]
    assert "۱۴۰۶/۰۲/۱۸ ۱۰:۰۰" in reminder.body  # the due time, in Jalali for people
    sweep_at(tehran(2027, 5, 8, 10, 1))
    assert steps(referral_id)[-1] == ("view", "notify_supervisor", 0)
    assert messages(referral_id)[-1].recipient == "operations@abfa-golestan.example"
    assert referral(referral_id).next_deadline_at == tehran(2027, 5, 12, 8, 0)  # result at 80 %


def test_a_step_is_taken_once_however_often_the_sweep_runs() -> None:
    referral_id = referral_started_at(START)
    for _ in range(3):
        sweep_at(tehran(2027, 5, 8, 10, 1))
    assert steps(referral_id) == [("view", "remind_agency", 0), ("view", "notify_supervisor", 0)]
    assert len(messages(referral_id)) == 2


def test_a_missed_result_is_a_violation_late_in_working_time_and_repeats_each_working_day() -> None:
    referral_id = referral_started_at(START)
    sweep_at(tehran(2027, 5, 15, 8, 0) + MINUTE)
    assert [s for s in steps(referral_id) if s[0] == "result"] == [
        ("result", "remind_agency", 0),
        ("result", "record_violation", 0),
    ]
    [violation] = violations(referral_id)
    assert (violation.deadline, violation.agreement_id) == ("result", "golestan-water")
    assert violation.due_at == tehran(2027, 5, 15, 8, 0)
    assert violation.late_seconds == 60
    assert referral(referral_id).next_deadline_at == tehran(2027, 5, 16, 8, 0)
    # Sunday 08:00: one working day late. The next repeat skips Eid al-Adha on Monday.
    sweep_at(tehran(2027, 5, 16, 8, 0) + MINUTE)
    assert steps(referral_id)[-1] == ("result", "record_violation", 1)
    [violation] = violations(referral_id)
    assert violation.late_seconds == 7 * 3600 + 60
    assert referral(referral_id).next_deadline_at == tehran(2027, 5, 18, 8, 0)


def test_the_inspection_office_hears_at_150_percent() -> None:
    referral_id = referral_started_at(START)
    sweep_at(tehran(2027, 5, 18, 11, 29))
    assert "notify_inspection" not in [s[1] for s in steps(referral_id)]
    sweep_at(tehran(2027, 5, 18, 11, 31))
    assert steps(referral_id)[-1] == ("result", "notify_inspection", 0)
    letter = messages(referral_id)[-1]
    assert letter.recipient == "inspection@golestan.example"
    assert "تخلف" in letter.subject and "اداره کل بازرسی استان گلستان" in letter.body


def test_a_resolved_referral_is_no_longer_escalated() -> None:
    referral_id = referral_started_at(START)
    with session_scope() as session:
        from hub.db.models import Referral

        session.get_one(Referral, referral_id).state = "resolved"
    sweep_at(tehran(2027, 5, 20, 8, 0))
    assert steps(referral_id) == []
    assert referral(referral_id).next_deadline_at is None
