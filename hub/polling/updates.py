"""Applying what an agency said: stored once, mapped by the status map, moved by the lifecycle.

Every update is stored (deduplicated by agreement + update id) whether or not it changes
anything, with its outcome: applied, duplicate, unchanged, stale (it would move a referral
backwards), refused, unknown_status (the agreement's status map lacks it: an alert for the
admin), unmatched (no referral: kept for triage) or bounced.
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
from hub.core.states import AGENCY_PROGRESS, POLLED, ReferralState
from hub.db.models import AgencyUpdate as StoredUpdate
from hub.db.models import Referral, Request
from hub.intake.submit import route_request
from hub.notifications.outbox import notify_citizen_of_result
from hub.plugins.connector import AgencyUpdate, UpdateKind
from hub.referrals.events import AlertKind, EventKind, alert, record
from hub.referrals.lifecycle import transition

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
    referral = _find_referral(session, agreement.id, update)
    stored = StoredUpdate(
        agreement_id=agreement.id,
        update_id=update.update_id,
        referral_id=referral.id if referral else None,
        kind=str(update.kind),
        agency_status=update.status,
        result=update.result,
        note=update.note,
        raw=json_safe(dict(update.raw)),
        occurred_at=update.occurred_at,
        outcome="",
    )
    try:
        with session.begin_nested():
            session.add(stored)
            session.flush()
    except IntegrityError:  # another poller stored it a moment ago
        return UpdateOutcome.DUPLICATE
    outcome = _apply(session, agreement, update, referral, stored, registry, actor)
    stored.outcome = str(outcome)
    return outcome


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
    if update.result:
        referral.result = update.result
    referral.agency_status = update.status
    current = S(referral.state)
    if target == current:
        return UpdateOutcome.UNCHANGED
    if _is_backwards(current, target):
        return UpdateOutcome.STALE
    values: dict[str, str | None] = {"next_poll_at": None} if target not in POLLED else {}
    values.update(agency_status=update.status, result=referral.result)
    if not transition(session, referral, target, actor=actor, values=values):
        return UpdateOutcome.REFUSED
    if target is S.RETURNED:
        _reroute(session, referral, registry, actor)
    if target is S.RESOLVED:
        notify_citizen_of_result(session, referral, agreement, get_settings())
    return UpdateOutcome.APPLIED


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


def _find_referral(session: Session, agreement_id: str, update: AgencyUpdate) -> Referral | None:
    conditions = []
    if update.external_id:
        conditions.append(Referral.external_id == update.external_id)
    if update.referral_reference:
        conditions.append(Referral.reference == update.referral_reference)
    if not conditions:
        return None
    return session.scalars(
        select(Referral).where(Referral.agreement_id == agreement_id, or_(*conditions)).limit(1)
    ).first()
