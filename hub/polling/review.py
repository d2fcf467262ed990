"""Deciding a reply held for review: a person applies the state it means, or dismisses it.

Applying goes the way an agency update goes — :func:`hub.polling.updates.apply_state`: the
state machine's compare-and-set move, the result kept (or, on a referral already answered, a
note), a returned case re-routed, the citizen told the result — with the person as the actor of
every event. A reply that named no referral is attached to the one the person names. Each
decision is an ``update.reviewed`` event; a review is decided once (a second decision is refused).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.core.errors import NotFound, Refused
from hub.core.states import ReferralState
from hub.db.models import AgencyUpdate, Referral
from hub.db.models_messages import AgencyMessage, ReplyReview
from hub.db.types import utcnow
from hub.polling.updates import UpdateOutcome, apply_state
from hub.referrals.events import EventKind, record
from hub.referrals.reviews import ReviewState

S = ReferralState
# What a person may say an agency's reply meant: the states an agency itself can report.
REVIEW_STATES: tuple[ReferralState, ...] = (
    S.VIEWED,
    S.IN_PROGRESS,
    S.FORWARDED,
    S.RESOLVED,
    S.RETURNED,
)


def apply_review(
    session: Session,
    review_id: int,
    state: ReferralState,
    registry: AgreementRegistry,
    *,
    actor: str,
    result: str | None = None,
    reference: str | None = None,
) -> UpdateOutcome:
    """Apply ``state`` to the reply's referral (or the one ``reference`` names); ``result``
    defaults to the text the hub read from the reply."""
    if state not in REVIEW_STATES:
        allowed = ", ".join(REVIEW_STATES)
        raise Refused(
            f"a reply can only mean one of {allowed}, not {state}",
            "پاسخ دستگاه فقط یکی از وضعیت‌های رؤیت، در حال رسیدگی، ارجاع داخلی، پاسخ یا عودت است",
        )
    review = _pending(session, review_id)
    stored = session.get_one(AgencyUpdate, review.agency_update_id)
    referral = _referral_of(session, review, reference)
    given = stored.result if result is None else result
    text = (given or "").strip() or None
    outcome = apply_state(
        session,
        registry.get(referral.agreement_id),
        referral,
        state,
        registry,
        result=text,
        agency_status=None,
        actor=actor,
        update_id=stored.update_id,
    )
    if outcome in (UpdateOutcome.STALE, UpdateOutcome.REFUSED):
        raise Refused(
            f"referral {referral.reference} is {referral.state}: not moved to {state}",
            f"ارجاع {referral.reference} «{ReferralState(referral.state).label_fa}» است و به "
            f"«{state.label_fa}» برده نشد",
        )
    _attach(session, review, stored, referral)
    _decide(session, review, ReviewState.APPLIED, actor, state=state, note=text)
    return outcome


def dismiss_review(session: Session, review_id: int, why: str, *, actor: str) -> None:
    """Keep the reply, change nothing: it meant nothing to apply (an automatic reply, spam)."""
    if not why.strip():
        raise Refused("say why the reply is dismissed", "دلیل کنار گذاشتن پاسخ را بنویسید")
    review = _pending(session, review_id)
    _decide(session, review, ReviewState.DISMISSED, actor, note=why.strip())


def _pending(session: Session, review_id: int) -> ReplyReview:
    review = session.scalar(
        select(ReplyReview)
        .where(ReplyReview.id == review_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if review is None:
        raise NotFound(f"no reply review {review_id}")
    if review.state != ReviewState.PENDING:
        raise Refused(
            f"reply review {review_id} was {review.state} already, by {review.decided_by}",
            f"این پاسخ پیش‌تر به دست {review.decided_by} بررسی شده است",
        )
    return review


def _referral_of(session: Session, review: ReplyReview, reference: str | None) -> Referral:
    if reference:
        referral = session.scalar(select(Referral).where(Referral.reference == reference.strip()))
        if referral is None:
            raise NotFound(f"no referral {reference}")
        return referral
    if review.referral_id is None:
        raise Refused(
            f"reply review {review.id} names no referral: say which one (its reference)",
            "این پاسخ به هیچ ارجاعی نخورده است: شماره ارجاع را بنویسید",
        )
    return session.get_one(Referral, review.referral_id)


def _attach(
    session: Session, review: ReplyReview, stored: AgencyUpdate, referral: Referral
) -> None:
    """The reply, its message and its attachments belong to the referral from now on."""
    review.referral_id = stored.referral_id = referral.id
    message = session.scalar(
        select(AgencyMessage).where(AgencyMessage.agency_update_id == stored.id)
    )
    if message is not None:
        message.referral_id = referral.id


def _decide(
    session: Session,
    review: ReplyReview,
    decision: ReviewState,
    actor: str,
    *,
    state: ReferralState | None = None,
    note: str | None = None,
) -> None:
    review.state = str(decision)
    review.decided_by = actor[:64]
    review.decided_at = utcnow()
    review.decided_state = str(state) if state else None
    review.decision_note = note
    referral = session.get(Referral, review.referral_id) if review.referral_id else None
    record(
        session,
        EventKind.UPDATE_REVIEWED,
        request_id=referral.request_id if referral else None,
        referral_id=referral.id if referral else None,
        actor=actor[:64],
        review=review.id,
        decision=str(decision),
        state=str(state) if state else None,
        note=note,
    )
