"""Intake: a citizen request registered once — validated, normalised, stored, routed.

Everything here happens in the caller's one transaction: the request, its first events and its
referrals (each referral row is its own outbox entry, due for delivery now) commit together or not
at all, so nothing is lost between the database and the broker.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.db.models import Referral, Request
from hub.db.types import utcnow
from hub.events import EventKind, record
from hub.notifications import notify_citizen_of_intake
from hub.prepare import prepare_request
from hub.referrals import create_referral
from hub.routing import route
from hub.settings import Settings
from hub.similarity import are_near_duplicates, text_fingerprint
from hub.states import RequestStatus
from hub.tracking import new_tracking_code


@dataclass(frozen=True)
class IntakeResult:
    request: Request
    referrals: list[Referral]
    duplicate_of: Request | None = None


def submit_request(
    session: Session,
    raw: Mapping[str, Any],
    registry: AgreementRegistry,
    settings: Settings,
    actor: str = "api",
) -> IntakeResult:
    """Register one request; raises ValidationFailed (every problem at once) on bad input."""
    prepared = prepare_request(raw)
    doc = prepared.document
    now = utcnow()
    request = Request(
        tracking_code=_unused_tracking_code(session),
        status=str(RequestStatus.REFERRED),
        channel=doc["channel"],
        type=doc["type"],
        category=doc["category"],
        county=doc["location"]["county"],
        citizen_national_id=doc["citizen"]["national_id"],
        citizen_mobile=doc["citizen"]["mobile"],
        text_fingerprint=text_fingerprint(doc["subject"], doc["description"]),
        document=doc,
        original=prepared.original,
        received_at=_received_at(doc, now),
        created_at=now,
    )
    original = _earlier_duplicate(session, request, settings)
    if original is not None:
        request.status = str(RequestStatus.DUPLICATE)
        request.duplicate_of_id = original.id
    session.add(request)
    session.flush()
    record(
        session,
        EventKind.REQUEST_RECEIVED,
        request_id=request.id,
        actor=actor,
        channel=request.channel,
        category=request.category,
    )
    if original is not None:
        record(
            session,
            EventKind.REQUEST_DUPLICATE,
            request_id=request.id,
            actor=actor,
            duplicate_of=original.tracking_code,
        )
        return IntakeResult(request, [], original)
    lease = timedelta(seconds=settings.dispatch_lease_seconds)
    referrals = route_request(session, request, registry, actor=actor, dispatch_lease=lease)
    notify_citizen_of_intake(session, request, [registry.get(r.agreement_id) for r in referrals])
    return IntakeResult(request, referrals)


def route_request(
    session: Session,
    request: Request,
    registry: AgreementRegistry,
    *,
    exclude: tuple[str, ...] = (),
    previous: Referral | None = None,
    actor: str = "hub",
    dispatch_lease: timedelta = timedelta(0),
) -> list[Referral]:
    """Referrals for every agreement the request routes to; none → the triage queue."""
    agreements = route(registry.all(), request.category, request.county, exclude)
    if not agreements:
        request.status = str(RequestStatus.TRIAGE)
        request.triage_reason = (
            "every matching agency returned it" if exclude else "no agreement covers it"
        )
        record(
            session,
            EventKind.REQUEST_TRIAGE,
            request_id=request.id,
            actor=actor,
            reason=request.triage_reason,
            category=request.category,
            county=request.county,
        )
        return []
    request.status = str(RequestStatus.REFERRED)
    return [
        create_referral(
            session, request, a, previous=previous, actor=actor, dispatch_lease=dispatch_lease
        )
        for a in agreements
    ]


def _unused_tracking_code(session: Session) -> str:
    while True:
        code = new_tracking_code()
        if session.scalar(select(Request.id).where(Request.tracking_code == code)) is None:
            return code


def _received_at(doc: Mapping[str, Any], default: datetime) -> datetime:
    value = doc.get("received_at")
    if not value:
        return default
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else default


def _earlier_duplicate(session: Session, request: Request, settings: Settings) -> Request | None:
    since = request.created_at - timedelta(hours=settings.duplicate_window_hours)
    candidates = session.scalars(
        select(Request)
        .where(
            Request.citizen_national_id == request.citizen_national_id,
            Request.category == request.category,
            Request.created_at >= since,
            Request.status != str(RequestStatus.DUPLICATE),
        )
        .order_by(Request.id)
        .limit(20)
    )
    for candidate in candidates:
        if are_near_duplicates(
            candidate.text_fingerprint, request.text_fingerprint, settings.duplicate_similarity
        ):
            return candidate
    return None
