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
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.db.models import Referral, Request
from hub.db.types import utcnow
from hub.events import EventKind, record
from hub.metrics import request_received
from hub.notifications import notify_citizen_of_intake
from hub.prepare import prepare_request
from hub.referrals import count_referrals, create_referral
from hub.routing import route
from hub.settings import Settings
from hub.similarity import are_near_duplicates, text_fingerprint
from hub.states import RequestStatus
from hub.tracking import new_tracking_code


@dataclass(frozen=True)
class EarlierRequest:
    """The earlier request a new one duplicates."""

    id: int
    tracking_code: str


@dataclass(frozen=True)
class IntakeResult:
    request: Request
    referrals: list[Referral]
    duplicate_of: EarlierRequest | None = None


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
        tracking_code=new_tracking_code(),
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
    # Nothing is flushed until every row of the request is added: one flush writes the request,
    # its referrals and all their events (one statement per table).
    record(
        session,
        EventKind.REQUEST_RECEIVED,
        request=request,
        actor=actor,
        channel=request.channel,
        category=request.category,
    )
    request_received(request.channel)
    if original is not None:
        record(
            session,
            EventKind.REQUEST_DUPLICATE,
            request=request,
            actor=actor,
            duplicate_of=original.tracking_code,
        )
        session.flush()
        return IntakeResult(request, [], original)
    lease = timedelta(seconds=settings.dispatch_lease_seconds)
    referrals = route_request(session, request, registry, actor=actor, dispatch_lease=lease)
    session.flush()
    notify_citizen_of_intake(session, request, [registry.get(r.agreement_id) for r in referrals])
    return IntakeResult(request, referrals)


def register(
    session: Session,
    raw: Mapping[str, Any],
    registry: AgreementRegistry,
    settings: Settings,
    actor: str = "api",
) -> IntakeResult:
    """``submit_request`` and commit.

    Tracking codes are random, so one may already be taken (with n requests stored, one draw in
    10^10 / n collides); the unique index catches it and the request is registered again with a
    new code, instead of a look-up before every insert.
    """
    for attempt in range(3):
        try:
            result = submit_request(session, raw, registry, settings, actor)
            session.commit()
            return result
        except IntegrityError as exc:
            session.rollback()
            if "tracking_code" not in str(exc.orig) or attempt == 2:
                raise
    raise AssertionError("unreachable")


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
            request=request,
            actor=actor,
            reason=request.triage_reason,
            category=request.category,
            county=request.county,
        )
        return []
    request.status = str(RequestStatus.REFERRED)
    # A new request has no referrals yet; a rerouted one continues its numbering.
    first = count_referrals(session, request) + 1 if previous is not None else 1
    return [
        create_referral(
            session,
            request,
            a,
            number=first + i,
            previous=previous,
            actor=actor,
            dispatch_lease=dispatch_lease,
        )
        for i, a in enumerate(agreements)
    ]


def _received_at(doc: Mapping[str, Any], default: datetime) -> datetime:
    value = doc.get("received_at")
    if not value:
        return default
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else default


def _earlier_duplicate(
    session: Session, request: Request, settings: Settings
) -> EarlierRequest | None:
    since = request.created_at - timedelta(hours=settings.duplicate_window_hours)
    candidates = session.execute(  # only what the comparison needs: not the documents
        select(Request.id, Request.tracking_code, Request.text_fingerprint)
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
            return EarlierRequest(candidate.id, candidate.tracking_code)
    return None
