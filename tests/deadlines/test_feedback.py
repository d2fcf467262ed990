"""The citizen judges the result by tracking code + mobile: a rating 1–5, and a reopen that
restarts the deadlines and counts against the agency."""

from __future__ import annotations

import random
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.db.models import Referral
from hub.db.models_deadlines import Feedback
from hub.db.session import session_scope
from hub.deadlines.due_times import calendars
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
    assert after.deadlines_started_at > before.deadlines_started_at  # type: ignore[operator]
    iran = calendars().get("iran")  # a complaint: 5 working days, from the reopen
    assert after.result_due_at == iran.add_working_days(after.deadlines_started_at, 5)  # type: ignore[arg-type]
    assert after.next_deadline_at is not None
    assert (feedback.reopened, feedback.agreement_id, feedback.rating) == (
        True,
        "golestan-water",
        1,
    )
