"""The citizen's word on a result: a rating from 1 to 5, and the right to reopen it.

The citizen proves who they are with the tracking code and the mobile number the request was
registered with (a wrong pair is "not found", never "wrong mobile"). One judgement per result;
a reopen is allowed within ``SAMAD_REOPEN_WINDOW_DAYS`` of the result. Reopening moves the
referral back to ``in_progress`` with new deadlines from now, polls the agency again, and is
stored as a ``feedback`` row with ``reopened = true`` — it counts against the agency — and tells
the agency (on its own system where its connector carries reminders, else by email).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.core.errors import HubError, NormalizationError, NotFound
from hub.core.settings import Settings
from hub.core.states import ReferralState
from hub.db.models import Referral, Request
from hub.db.models_deadlines import Feedback
from hub.deadlines.due_times import start_deadlines
from hub.intake.normalize import normalize_mobile
from hub.intake.tracking import is_valid_tracking_code, normalize_tracking_code
from hub.notifications.agency_reminders import tell_agency_of_reopen
from hub.referrals.events import EventKind, record
from hub.referrals.lifecycle import transition


class FeedbackRefused(HubError):
    """The feedback cannot be taken (no result yet, already judged, too late to reopen)."""

    def __init__(self, message: str, message_fa: str) -> None:
        super().__init__(message)
        self.message_fa = message_fa


@dataclass(frozen=True)
class FeedbackGiven:
    rating: int | None
    reopened: bool
    reference: str


def give_feedback(
    session: Session,
    tracking_code: str,
    mobile: str,
    *,
    rating: int | None,
    comment: str | None,
    reopen: bool,
    registry: AgreementRegistry,
    settings: Settings,
    now: datetime,
) -> FeedbackGiven:
    request = _citizens_request(session, tracking_code, mobile)
    referral = session.scalars(
        select(Referral)
        .where(Referral.request_id == request.id, Referral.state == str(ReferralState.RESOLVED))
        .order_by(Referral.resolved_at.desc())
        .limit(1)
    ).first()
    if referral is None or referral.resolved_at is None:
        raise FeedbackRefused("there is no result to judge yet", "هنوز پاسخی ثبت نشده است.")
    judged = session.scalar(
        select(Feedback.id).where(
            Feedback.referral_id == referral.id, Feedback.result_at == referral.resolved_at
        )
    )
    if judged is not None:
        raise FeedbackRefused("this result was already judged", "برای این پاسخ قبلاً نظر داده‌اید.")
    if reopen and now > referral.resolved_at + timedelta(days=settings.reopen_window_days):
        raise FeedbackRefused(
            f"a result can be reopened within {settings.reopen_window_days:g} days only",
            f"اعتراض تنها تا {settings.reopen_window_days:g} روز پس از پاسخ ممکن است.",
        )
    feedback = Feedback(
        request_id=request.id,
        referral_id=referral.id,
        agreement_id=referral.agreement_id,
        rating=rating,
        comment=comment,
        reopened=reopen,
        result_at=referral.resolved_at,
        created_at=now,
    )
    session.add(feedback)
    record(
        session,
        EventKind.FEEDBACK_RECEIVED,
        request_id=request.id,
        referral_id=referral.id,
        actor="citizen",
        rating=rating,
        reopened=reopen,
    )
    if reopen:
        _reopen(session, request, referral, registry, now, comment)
    return FeedbackGiven(rating, reopen, referral.reference)


def _citizens_request(session: Session, tracking_code: str, mobile: str) -> Request:
    if not is_valid_tracking_code(tracking_code):
        raise NotFound("no request with that tracking code and mobile")
    try:
        mobile = normalize_mobile(mobile)
    except NormalizationError:
        raise NotFound("no request with that tracking code and mobile") from None
    request = session.scalar(
        select(Request).where(Request.tracking_code == normalize_tracking_code(tracking_code))
    )
    if request is None or request.citizen_mobile != mobile:
        raise NotFound("no request with that tracking code and mobile")
    return request


def _reopen(
    session: Session,
    request: Request,
    referral: Referral,
    registry: AgreementRegistry,
    now: datetime,
    comment: str | None,
) -> None:
    values = {"next_poll_at": now}
    reason = "reopened by the citizen"
    if not transition(
        session, referral, ReferralState.IN_PROGRESS, actor="citizen", values=values, reason=reason
    ):
        raise FeedbackRefused("the case changed meanwhile; try again", "لطفاً دوباره تلاش کنید.")
    agreement = registry.get(referral.agreement_id)
    start_deadlines(referral, agreement, request.type, start=now)
    record(
        session,
        EventKind.REFERRAL_REOPENED,
        request_id=request.id,
        referral_id=referral.id,
        actor="citizen",
        result_due_at=referral.result_due_at.isoformat() if referral.result_due_at else None,
    )
    tell_agency_of_reopen(session, referral, request, agreement, registry, comment)
