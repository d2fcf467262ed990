"""The citizen judges the result by tracking code + mobile: a rating 1–5, and a reopen that
restarts the deadlines and counts against the agency."""

from __future__ import annotations

import random
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.models import Referral
from hub.db.models_deadlines import Feedback
from hub.db.session import session_scope
from hub.intake.feedback import give_feedback
from tests.core.waiting import wait_for_states
from tests.support.requests import BASE, citizen_request, national_id

pytestmark = pytest.mark.usefixtures("worker")


def resolved_request(api: httpx.Client) -> tuple[str, str, dict[str, Any]]:
    citizen = dict(BASE["citizen"])
    citizen["mobile"] = f"0935{random.randrange(10**7):07d}"
    citizen["national_id"] = national_id(random.randrange(10**8))
    code = api.post("/v1/requests", json=citizen_request(citizen=citizen)).json()["tracking_code"]
    return code, citizen["mobile"], wait_for_states(api, code, ["resolved"])


def test_a_citizen_rates_the_result_once(api: httpx.Client) -> None:
    code, mobile, _ = resolved_request(api)
    # The mobile in another usual form (+98…) is the same citizen.
    given = api.post(
        f"/v1/requests/{code}/feedback", json={"mobile": "+98" + mobile[1:], "rating": 4}
    )
    assert given.status_code == 201, given.text
    assert given.json()["rating"] == 4 and given.json()["reopened"] is False
    again = api.post(f"/v1/requests/{code}/feedback", json={"mobile": mobile, "rating": 5})
    assert again.status_code == 409
    assert "already" in again.text


def test_someone_with_another_mobile_learns_nothing(api: httpx.Client) -> None:
    code, _, _ = resolved_request(api)
    answer = api.post(f"/v1/requests/{code}/feedback", json={"mobile": "09350000000", "rating": 1})
    assert answer.status_code == 404


def test_a_rating_outside_one_to_five_is_refused(api: httpx.Client) -> None:
    code, mobile, _ = resolved_request(api)
    answer = api.post(f"/v1/requests/{code}/feedback", json={"mobile": mobile, "rating": 6})
    assert answer.status_code == 422


def test_a_reopened_result_gets_new_deadlines_and_counts_against_the_agency(
    api: httpx.Client,
) -> None:
    code, mobile, body = resolved_request(api)
    reference = body["referrals"][0]["reference"]
    assert api.get(f"/v1/requests/{code}").json()["status"] == "resolved"
    with session_scope() as session:
        before = session.scalar(select(Referral).where(Referral.reference == reference))
    answer = api.post(
        f"/v1/requests/{code}/feedback",
        json={"mobile": mobile, "rating": 1, "comment": "هنوز آب وصل نشده", "reopen": True},
    )
    assert answer.status_code == 201, answer.text
    reopened = api.get(f"/v1/requests/{code}").json()
    assert "referral.reopened" in [e["kind"] for e in reopened["history"]]
    assert reopened["status"] == "referred"  # open again at the agency
    with session_scope() as session:
        after = session.scalar(select(Referral).where(Referral.reference == reference))
        feedback = session.scalar(select(Feedback).where(Feedback.referral_id == after.id))
    assert before is not None and after is not None and feedback is not None
    # Restarted from the reopen; when they fall due is the table below (REOPENS).
    assert after.deadlines_started_at > before.deadlines_started_at  # type: ignore[operator]
    assert after.next_deadline_at is not None
    assert (feedback.reopened, feedback.agreement_id, feedback.rating) == (
        True,
        "golestan-water",
        1,
    )


def _utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# A complaint's result is due 5 working days after the reopen (golestan-water's agreement), on
# the "iran" calendar: Saturday–Wednesday 07:30–14:30 Tehran time (UTC+03:30 since 2022),
# Thursday and Friday closed, official holidays closed. Worked out by hand: within working hours
# the due time is the same time of day on the 5th working day after; outside them, the close of
# that day (hub/calendars/working_time.py). UTC = Tehran − 3:30.
REOPENS = [
    pytest.param(
        _utc(2026, 9, 27, 6, 30),  # Sunday 1405-07-05 10:00
        _utc(2026, 10, 4, 6, 30),  # Mon, Tue, Wed, (Thu, Fri), Sat, Sunday 1405-07-12 10:00
        id="across-a-weekend",
    ),
    pytest.param(
        _utc(2026, 10, 1, 12, 30),  # Thursday 1405-07-09 16:00, the office closed
        _utc(2026, 10, 7, 11, 0),  # (Fri), Sat, Sun, Mon, Tue, Wednesday 1405-07-15 at 14:30
        id="reopened-on-a-thursday-evening",
    ),
    pytest.param(
        _utc(2026, 3, 30, 5, 30),  # Monday 1405-01-10 09:00
        # Tue, (Wed 1405-01-12 Islamic Republic Day, Thu 01-13 Sizdah Be-dar, Fri), Sat, Sun,
        # Mon, Tuesday 1405-01-18 09:00
        _utc(2026, 4, 7, 5, 30),
        id="across-a-public-holiday",
    ),
    pytest.param(
        _utc(2026, 3, 18, 8, 30),  # Wednesday 1404-12-27 12:00
        # (Thu, Fri 1404-12-29, Sat–Tue 1405-01-01..04 Nowruz), Wed, (Thu, Fri), Sat, Sun, Mon,
        # Tuesday 1405-01-11 12:00
        _utc(2026, 3, 31, 8, 30),
        id="across-nowruz",
    ),
    pytest.param(
        _utc(2027, 3, 16, 6, 30),  # Tuesday 1405-12-25 10:00
        # Wed, (Thu, Fri, Sat 1405-12-29 oil nationalisation day, Sun–Wed 1406-01-01..04 Nowruz,
        # Thu, Fri), Sat, Sun, Mon, Tuesday 1406-01-10 10:00
        _utc(2027, 3, 30, 6, 30),
        id="across-the-years-end",
    ),
]


@pytest.fixture(scope="module")
def resolved(api: httpx.Client, worker: subprocess.Popen[bytes]) -> tuple[str, str, str]:
    """(tracking code, mobile, referral reference) of one resolved complaint."""
    code, mobile, body = resolved_request(api)
    return code, mobile, body["referrals"][0]["reference"]


@pytest.mark.parametrize(("reopened_at", "due_at"), REOPENS)
def test_a_reopened_complaint_is_due_five_working_days_after_the_reopen(
    resolved: tuple[str, str, str], reopened_at: datetime, due_at: datetime
) -> None:
    code, mobile, reference = resolved
    with session_scope() as session:
        referral = session.scalars(select(Referral).where(Referral.reference == reference)).one()
        referral.resolved_at = reopened_at - timedelta(hours=1)  # within the reopen window
        give_feedback(
            session, code, mobile, rating=1, comment=None, reopen=True,
            registry=get_registry(), settings=get_settings(), now=reopened_at,
        )  # fmt: skip
        started, due = referral.deadlines_started_at, referral.result_due_at
        # Undone: a reopen months away would set the sweeps escalating for real, and the next
        # case reopens the same resolved complaint.
        session.rollback()
    assert (started, due) == (reopened_at, due_at)
