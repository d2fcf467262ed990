"""Applying what an agency said: stored once, mapped by the status map, moved by the lifecycle.

Every update is stored (deduplicated by agreement + update id) whether or not it changes
anything, with its outcome: applied, duplicate, unchanged, stale (it would move a referral
backwards), refused, unknown_status (the agreement's status map lacks it: an alert for the
admin), unmatched (no referral, or a reply the connector could not read), bounced, or late_note
(it came after the referral was answered). A message the update carries whole (a reply mail,
``raw["rfc822"]``) is stored with its attachments (:mod:`hub.referrals.messages`); an unmatched
or unknown-status update waits for a person in the review queue (:mod:`hub.referrals.reviews`).
A late reply never rewrites the result the citizen was told: its text is a note on the referral.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from enum import StrEnum

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.core.jsonsafe import json_safe
from hub.core.settings import get_settings
from hub.core.states import AGENCY_PROGRESS, ANSWERED, POLLED, ReferralState
from hub.db.models import AgencyUpdate as StoredUpdate
from hub.db.models import Referral, Request
from hub.db.types import utcnow
from hub.intake.submit import route_request
from hub.notifications.outbox import notify_citizen_of_result
from hub.plugins.connector import AgencyUpdate, UpdateKind
from hub.referrals.events import AlertKind, EventKind, alert, record
from hub.referrals.lifecycle import transition
from hub.referrals.messages import store_message, take_original
from hub.referrals.reviews import open_review

log = logging.getLogger(__name__)
S = ReferralState


class UpdateOutcome(StrEnum):
    APPLIED = "applied"
    DUPLICATE = "duplicate"
    UNCHANGED = "unchanged"
    STALE = "stale"
    REFUSED = "refused"
    UNKNOWN_STATUS = "unknown_status"
    UNMATCHED = "unmatched"
    BOUNCED = "bounced"
    LATE_NOTE = "late_note"


# What a person must read: the hub could not tell what the update means.
NEEDS_REVIEW = frozenset({UpdateOutcome.UNMATCHED, UpdateOutcome.UNKNOWN_STATUS})


def apply_updates(
    session: Session,
    agreement: Agreement,
    updates: Iterable[AgencyUpdate],
    registry: AgreementRegistry,
    actor: str = "poll",
) -> list[UpdateOutcome]:
    ordered = sorted(updates, key=lambda u: (u.occurred_at is None, u.occurred_at or 0))
    return [apply_update(session, agreement, u, registry, actor) for u in ordered]


def apply_update(
    session: Session,
    agreement: Agreement,
    update: AgencyUpdate,
    registry: AgreementRegistry,
    actor: str = "poll",
) -> UpdateOutcome:
    seen = session.scalar(
        select(StoredUpdate.id).where(
            StoredUpdate.agreement_id == agreement.id, StoredUpdate.update_id == update.update_id
        )
    )
    if seen is not None:
        return UpdateOutcome.DUPLICATE
    referral = find_referral(session, agreement.id, update)
    raw, original = take_original(update.raw)
    stored = StoredUpdate(
        agreement_id=agreement.id,
        update_id=update.update_id,
        referral_id=referral.id if referral else None,
        kind=str(update.kind),
        agency_status=update.status,
        result=update.result,
        note=update.note,
        raw=json_safe(raw),
        occurred_at=update.occurred_at,
        outcome="",
    )
    try:
        with session.begin_nested():
            session.add(stored)
            session.flush()
    except IntegrityError:  # another poller stored it a moment ago
        return UpdateOutcome.DUPLICATE
    if original is not None:
        store_message(
            session,
            agency_update_id=stored.id,
            agreement_id=agreement.id,
            referral_id=stored.referral_id,
            original=original,
            late=referral is not None and S(referral.state) in ANSWERED,
        )
    outcome = _apply(session, agreement, update, referral, stored, registry, actor)
    stored.outcome = str(outcome)
    if outcome in NEEDS_REVIEW:
        open_review(
            session,
            agency_update_id=stored.id,
            agreement_id=agreement.id,
            referral_id=stored.referral_id,
            reason=_why_unread(update, referral, outcome),
        )
    return outcome


def _why_unread(update: AgencyUpdate, referral: Referral | None, outcome: UpdateOutcome) -> str:
    """``code: sentence`` — the code (``unknown_status``, ``no_referral``, ``no_status``,
    ``automatic``, ``delivery_delayed``, ``unreadable``) is what pages show in their language."""
    if outcome is UpdateOutcome.UNKNOWN_STATUS:
        return f"unknown_status: the agreement's status map has no «{update.status}»"
    if referral is None and update.kind is not UpdateKind.UNMATCHED:
        named = update.external_id or update.referral_reference
        return f"no_referral: names no referral of this agreement: {named}"
    code = str(update.raw.get("unread") or ("no_referral" if referral is None else "unreadable"))
    return f"{code}: {update.note or 'matches no referral'}"


def _apply(
    session: Session,
    agreement: Agreement,
    update: AgencyUpdate,
    referral: Referral | None,
    stored: StoredUpdate,
    registry: AgreementRegistry,
    actor: str,
) -> UpdateOutcome:
    if referral is None or update.kind is UpdateKind.UNMATCHED:
        record(
            session,
            EventKind.UPDATE_UNMATCHED,
            request_id=referral.request_id if referral else None,
            referral_id=referral.id if referral else None,
            actor=actor,
            agreement=agreement.id,
            update_id=update.update_id,
            note=update.note or "matches no referral",
        )
        return UpdateOutcome.UNMATCHED
    if update.kind is UpdateKind.BOUNCE:
        return _bounce(session, referral, update, actor)
    target = agreement.map_status(update.status or "")
    stored.hub_state = str(target) if target else None
    if target is None:
        alert(
            session,
            AlertKind.UNKNOWN_AGENCY_STATUS,
            request_id=referral.request_id,
            referral_id=referral.id,
            agreement=agreement.id,
            status=update.status,
        )
        return UpdateOutcome.UNKNOWN_STATUS
    return apply_state(
        session,
        agreement,
        referral,
        target,
        registry,
        result=update.result,
        agency_status=update.status,
        actor=actor,
        update_id=update.update_id,
    )


def apply_state(
    session: Session,
    agreement: Agreement,
    referral: Referral,
    target: ReferralState,
    registry: AgreementRegistry,
    *,
    result: str | None,
    agency_status: str | None,
    actor: str,
    update_id: str,
) -> UpdateOutcome:
    """Move ``referral`` to ``target`` as its agency said (or a person reading the agency's reply
    says): the result and, when resolved, its outcome kept, the state machine's move, a returned
    case re-routed, the citizen told the result. ``agency_status`` None keeps the agency's last
    one (and a resolved case is then successful)."""
    current = S(referral.state)
    if current in ANSWERED:
        return _late(session, referral, target, result, agency_status, actor, update_id)
    if current in REVIVED_BY_AN_ANSWER and target is not S.DELIVERY_FAILED:
        if not _revive(session, referral, actor):
            return UpdateOutcome.REFUSED
        current = S.DELIVERED
    if result:
        referral.result = result
    if agency_status is not None:
        referral.agency_status = agency_status
    if target == current:
        return UpdateOutcome.UNCHANGED
    if _is_backwards(current, target):
        return UpdateOutcome.STALE
    values: dict[str, str | None] = {"next_poll_at": None} if target not in POLLED else {}
    values.update(agency_status=referral.agency_status, result=referral.result)
    if target is S.RESOLVED:  # done, not done, or refused: the status map says which
        values["outcome"] = str(agreement.map_outcome(agency_status))
    if not transition(session, referral, target, actor=actor, values=values):
        return UpdateOutcome.REFUSED
    if target is S.RETURNED:
        _reroute(session, referral, registry, actor)
    if target is S.RESOLVED:
        notify_citizen_of_result(session, referral, agreement, get_settings())
    return UpdateOutcome.APPLIED


# A referral given up as undeliverable (a bounce) or left unconfirmed that its agency then answers
# about has reached it after all.
REVIVED_BY_AN_ANSWER = frozenset({S.DELIVERY_FAILED, S.UNCONFIRMED})


def _revive(session: Session, referral: Referral, actor: str) -> bool:
    why = (
        "the agency answered about it after all: delivered"
        if referral.state == S.DELIVERY_FAILED
        else "the agency answered about it: its case is there"
    )
    values = {"next_attempt_at": None, "last_error": None, "next_poll_at": utcnow()}
    return transition(session, referral, S.DELIVERED, actor=actor, values=values, reason=why)


def _late(
    session: Session,
    referral: Referral,
    target: ReferralState,
    text: str | None,
    agency_status: str | None,
    actor: str,
    update_id: str,
) -> UpdateOutcome:
    """An update after the referral was answered changes neither its state nor the result the
    citizen was told; what it says is kept as a note on the referral."""
    if not text:
        return UpdateOutcome.UNCHANGED if target == S(referral.state) else UpdateOutcome.STALE
    record(
        session,
        EventKind.LATE_REPLY,
        request_id=referral.request_id,
        referral_id=referral.id,
        actor=actor,
        note=text,
        agency_status=agency_status,
        hub_state=str(target),
        update_id=update_id,
    )
    return UpdateOutcome.LATE_NOTE


def _is_backwards(current: ReferralState, target: ReferralState) -> bool:
    if current in AGENCY_PROGRESS and target in AGENCY_PROGRESS:
        return AGENCY_PROGRESS.index(target) < AGENCY_PROGRESS.index(current)
    return False


def _bounce(
    session: Session, referral: Referral, update: AgencyUpdate, actor: str
) -> UpdateOutcome:
    reason = update.note or "the agency's system bounced the referral"
    values = {"next_poll_at": None, "last_error": reason}
    if transition(session, referral, S.DELIVERY_FAILED, actor=actor, values=values, reason=reason):
        alert(
            session,
            AlertKind.DELIVERY_FAILED,
            request_id=referral.request_id,
            referral_id=referral.id,
            agreement=referral.agreement_id,
            reason=reason,
        )
    return UpdateOutcome.BOUNCED


def _reroute(session: Session, referral: Referral, registry: AgreementRegistry, actor: str) -> None:
    """A returned referral goes to the next agreement that matches, never to one already tried."""
    request = session.get_one(Request, referral.request_id)
    tried = tuple(
        session.scalars(select(Referral.agreement_id).where(Referral.request_id == request.id))
    )
    transition(session, referral, S.REROUTED, actor=actor, values={"next_poll_at": None})
    route_request(session, request, registry, exclude=tried, previous=referral, actor=actor)


def find_referral(session: Session, agreement_id: str, update: AgencyUpdate) -> Referral | None:
    conditions = []
    if update.external_id:
        conditions.append(Referral.external_id == update.external_id)
    if update.referral_reference:
        conditions.append(Referral.reference == update.referral_reference)
    found = None
    if conditions:
        found = session.scalars(
            select(Referral).where(Referral.agreement_id == agreement_id, or_(*conditions)).limit(1)
        ).first()
    code = update.raw.get("tracking_code")
    if found is None and isinstance(code, str) and code:
        # A reply that names only the citizen's tracking code (a forwarded mail, a new thread):
        # the request's live referral to this agency, the newest if it was sent again.
        found = session.scalars(
            select(Referral)
            .join(Request, Request.id == Referral.request_id)
            .where(
                Referral.agreement_id == agreement_id,
                Request.tracking_code == code,
                Referral.state != str(S.REROUTED),
            )
            .order_by(Referral.id.desc())
            .limit(1)
        ).first()
    return found
