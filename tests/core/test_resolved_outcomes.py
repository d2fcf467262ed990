"""A resolved case says how it ended: done, closed without being done, or refused on its merits.

The status map names the outcome (``{state: resolved, outcome: unsuccessful}``); the referral
keeps it, the citizen's result message says it in Persian, the API's request view shows it.
Real servers: PostgreSQL, the API, a worker sending through the SMS gateway sandbox.
"""

from __future__ import annotations

import random
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from hub.agreements.loader import parse_agreement
from hub.agreements.model import Agreement
from hub.agreements.registry import get_registry
from hub.core.errors import AgreementError
from hub.core.settings import REPO_ROOT, get_settings
from hub.core.states import Outcome, ReferralState
from hub.db.models import Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.intake.submit import submit_request
from hub.plugins.connector import AgencyUpdate, UpdateKind
from hub.plugins.manager import plugins
from hub.polling.updates import UpdateOutcome, apply_updates
from tests.core.waiting import wait_for
from tests.support.notification_fixtures import NotificationSandboxes
from tests.support.requests import BASE, citizen_request, national_id

WATER = (REPO_ROOT / "config" / "agreements" / "golestan-water.yaml").read_text(encoding="utf-8")
STATUSES = (
    "  NOT_DONE: {state: resolved, outcome: unsuccessful}\n"
    "  REFUSED: {state: resolved, outcome: rejected}\n"
)
FAR = utcnow() + timedelta(days=365)


def water_with(statuses: str) -> Agreement:
    """The water company's agreement with ``statuses`` added to its status map."""
    text = WATER.replace("status_map:\n", "status_map:\n" + statuses, 1)
    return parse_agreement(text, "golestan-water.yaml", plugins().connectors)


def problems_of(statuses: str) -> list[str]:
    with pytest.raises(AgreementError) as caught:
        water_with(statuses)
    return [f"{p.key_path}: {p.message}" for p in caught.value.problems]


def test_a_status_map_value_may_name_the_outcome_of_a_resolved_case() -> None:
    water = water_with(STATUSES)
    assert water.map_status("NOT_DONE") is ReferralState.RESOLVED
    assert water.map_status("REFUSED") is ReferralState.RESOLVED
    assert water.map_outcome("NOT_DONE") is Outcome.UNSUCCESSFUL
    assert water.map_outcome("REFUSED") is Outcome.REJECTED
    assert water.map_outcome("CLOSED_DONE") is Outcome.SUCCESSFUL  # a bare `resolved`


def test_an_unknown_outcome_is_named_with_its_key() -> None:
    [problem] = problems_of("  NOT_DONE: {state: resolved, outcome: partly}\n")
    assert problem.startswith("status_map.NOT_DONE.outcome: 'partly' is not one of")


def test_only_a_resolved_case_has_an_outcome() -> None:
    [problem] = problems_of("  NOT_OURS: {state: returned, outcome: rejected}\n")
    assert problem.startswith("status_map.NOT_OURS.state: 'resolved' was expected")


def test_the_znuny_preset_maps_closed_unsuccessful_to_resolved_not_done() -> None:
    text = (REPO_ROOT / "config" / "presets" / "znuny.yaml").read_text(encoding="utf-8")
    assert "closed unsuccessful: {state: resolved, outcome: unsuccessful}" in text


def _delivered_referral(citizen: dict[str, str]) -> tuple[str, str]:
    """A water referral the agency holds as a case, left alone by the running worker."""
    case = f"WTR-OUT-{uuid.uuid4().hex[:8]}"
    with session_scope() as session:
        submitted = submit_request(
            session, citizen_request(citizen=citizen), get_registry(), get_settings()
        )
        session.execute(
            update(Referral)
            .where(Referral.id == submitted.referrals[0].id)
            .values(state="delivered", external_id=case, next_attempt_at=None, next_poll_at=FAR)
        )
        return submitted.request.tracking_code, case


def _agency_says(case: str, status: str, result: str) -> UpdateOutcome:
    update_ = AgencyUpdate(
        update_id=f"{case}-{status}",
        kind=UpdateKind.STATUS,
        external_id=case,
        status=status,
        result=result,
        occurred_at=utcnow(),
    )
    with session_scope() as session:
        [outcome] = apply_updates(session, water_with(STATUSES), [update_], get_registry())
        return outcome


def _a_citizen() -> dict[str, str]:
    citizen = dict(BASE["citizen"])
    citizen["mobile"] = f"0912{random.randrange(10**7):07d}"
    citizen["national_id"] = national_id(random.randrange(10**8))
    return citizen


def _result_sms(sandboxes: NotificationSandboxes, mobile: str) -> str:
    def result() -> str | None:
        texts = [s["message"] for s in sandboxes.sms.to(mobile) if "پاسخ داده شد" in s["message"]]
        return texts[0] if texts else None

    return wait_for(result, what="the result SMS")


@pytest.mark.usefixtures("worker")
def test_a_case_closed_without_being_done_is_resolved_and_the_citizen_told_it_was_not_done(
    api: httpx.Client, notification_sandboxes: NotificationSandboxes
) -> None:
    citizen = _a_citizen()
    code, case = _delivered_referral(citizen)
    assert _agency_says(case, "NOT_DONE", "انشعاب فاضلاب در این محل ممکن نیست.") == (
        UpdateOutcome.APPLIED
    )
    [referral] = api.get(f"/v1/requests/{code}").json()["referrals"]
    assert referral["state"] == "resolved"
    assert referral["outcome"] == "unsuccessful"
    assert referral["outcome_fa"] == "انجام نشد"
    sms = _result_sms(notification_sandboxes, citizen["mobile"])
    assert "دستگاه درخواست را بررسی کرد اما انجام نشد" in sms
    assert "انشعاب فاضلاب در این محل ممکن نیست." in sms
    assert "درخواست شما انجام شد" not in sms


@pytest.mark.usefixtures("worker")
def test_a_refused_request_tells_the_citizen_it_was_not_accepted(
    api: httpx.Client, notification_sandboxes: NotificationSandboxes
) -> None:
    citizen = _a_citizen()
    code, case = _delivered_referral(citizen)
    assert _agency_says(case, "REFUSED", "درخواست خارج از ضوابط است.") == UpdateOutcome.APPLIED
    [referral] = api.get(f"/v1/requests/{code}").json()["referrals"]
    assert (referral["state"], referral["outcome"]) == ("resolved", "rejected")
    assert "درخواست شما پذیرفته نشد" in _result_sms(notification_sandboxes, citizen["mobile"])


@pytest.mark.usefixtures("worker")
def test_a_plain_resolved_status_is_a_case_done(
    api: httpx.Client, notification_sandboxes: NotificationSandboxes
) -> None:
    citizen = _a_citizen()
    code, case = _delivered_referral(citizen)
    assert _agency_says(case, "CLOSED_DONE", "لوله تعویض شد.") == UpdateOutcome.APPLIED
    [referral] = api.get(f"/v1/requests/{code}").json()["referrals"]
    assert (referral["outcome"], referral["outcome_fa"]) == ("successful", "انجام شد")
    assert "درخواست شما انجام شد" in _result_sms(notification_sandboxes, citizen["mobile"])


def _outcome_figures() -> tuple[int, int, int]:
    from hub.supervision.figures import current_month, figures

    with session_scope() as session:
        board = figures(session, current_month(utcnow()), agreement_ids=["golestan-water"])
    [water] = [f for f in board.agencies if f.agreement_id == "golestan-water"]
    return water.resolved, water.resolved_unsuccessful, water.rejected


@pytest.mark.usefixtures("worker")
def test_the_figures_tell_a_case_not_done_and_one_refused_from_a_case_done(
    api: httpx.Client,
) -> None:
    before = _outcome_figures()
    for status in ("NOT_DONE", "REFUSED", "CLOSED_DONE"):
        _, case = _delivered_referral(_a_citizen())
        assert _agency_says(case, status, "پاسخ دستگاه") == UpdateOutcome.APPLIED
    resolved, unsuccessful, rejected = _outcome_figures()
    assert (resolved - before[0], unsuccessful - before[1], rejected - before[2]) == (3, 1, 1)
