"""Intake: a citizen request registered once — validated, normalised, stored, routed.

Everything here happens in the caller's one transaction: the request, its first events and its
referrals (each referral row is its own outbox entry, due for delivery now) commit together or not
at all, so nothing is lost between the database and the broker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hub.agreements.registry import AgreementRegistry
from hub.core import telemetry
from hub.core.metrics import request_received
from hub.core.settings import Settings
from hub.core.states import RequestStatus
from hub.db.bulk import insert_objects
from hub.db.models import Referral, Request
from hub.db.types import utcnow
from hub.intake.prepare import PreparedRequest, prepare_request
from hub.intake.referrals import count_referrals, create_referrals
from hub.intake.routing import route
from hub.intake.similarity import are_near_duplicates, text_fingerprint
from hub.intake.tracking import new_tracking_code
from hub.notifications.outbox import notify_citizen_of_intake
from hub.referrals.events import EventKind, event_row, insert_events


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
    # A replayed Idempotency-Key: the answer its first call got, as it was sent (if kept).
    first_answer: dict[str, Any] | None = None


def submit_request(
    session: Session,
    raw: Mapping[str, Any],
    registry: AgreementRegistry,
    settings: Settings,
    actor: str = "api",
) -> IntakeResult:
    """Register one request; raises ValidationFailed (every problem at once) on bad input.

    Its rows are written with a few plain INSERTs — the request, then its referrals, then all
    their events, in that order — not by the unit of work: the objects returned are persistent
    in ``session``, ids set, as a flush would leave them.
    """
    request = _new_request(prepare_request(raw))
    original = _earlier_duplicate(session, request, settings)
    agreements = [] if original else route(registry.all(), request.category, request.county)
    if original is not None:
        request.status = str(RequestStatus.DUPLICATE)
        request.duplicate_of_id = original.id
    elif not agreements:
        _send_to_triage(request, excluded=False)
    insert_objects(session, [request])
    request_received(request.channel)
    telemetry.annotate(tracking_code=request.tracking_code, category=request.category)
    received = event_row(
        EventKind.REQUEST_RECEIVED,
        request.id,
        actor=actor,
        channel=request.channel,
        category=request.category,
    )
    if original is not None:
        duplicate = event_row(
            EventKind.REQUEST_DUPLICATE,
            request.id,
            actor=actor,
            duplicate_of=original.tracking_code,
        )
        insert_events(session, [received, duplicate])
        return IntakeResult(request, [], original)
    if not agreements:
        insert_events(session, [received, _triage_event(request, actor)])
        return IntakeResult(request, [])
    telemetry.annotate(agreements=",".join(a.id for a in agreements))
    referrals, created = create_referrals(session, request, agreements, actor=actor)
    set_committed_value(request, "referrals", referrals)
    for referral in referrals:
        set_committed_value(referral, "request", request)
    insert_events(session, [received, *created])
    notify_citizen_of_intake(session, request, agreements)
    return IntakeResult(request, referrals)


def register(
    session: Session,
    raw: Mapping[str, Any],
    registry: AgreementRegistry,
    settings: Settings,
    actor: str = "api",
    before_commit: Callable[[IntakeResult], None] | None = None,
) -> IntakeResult:
    """``submit_request`` and commit (``before_commit`` adds to the same transaction).

    Tracking codes are random, so one may already be taken (with n requests stored, one draw in
    10^10 / n collides); the unique index catches it and the request is registered again with a
    new code, instead of a look-up before every insert.
    """
    for attempt in range(3):
        try:
            result = submit_request(session, raw, registry, settings, actor)
            if before_commit is not None:
                before_commit(result)
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
) -> list[Referral]:
    """Referrals for every agreement the stored request routes to; none → the triage queue."""
    agreements = route(registry.all(), request.category, request.county, exclude)
    if not agreements:
        _send_to_triage(request, excluded=bool(exclude))
        insert_events(session, [_triage_event(request, actor)])
        return []
    request.status = str(RequestStatus.REFERRED)
    # A new request has no referrals yet; a rerouted one continues its numbering.
    first = count_referrals(session, request) + 1 if previous is not None else 1
    referrals, created = create_referrals(
        session, request, agreements, first=first, previous=previous, actor=actor
    )
    insert_events(session, created)
    return referrals


def _new_request(prepared: PreparedRequest) -> Request:
    """The request not stored yet, every column set (``insert_objects`` applies no default)."""
    doc = prepared.document
    now = utcnow()
    return Request(
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
        duplicate_of_id=None,
        triage_reason=None,
        received_at=_received_at(doc, now),
        created_at=now,
    )


def _send_to_triage(request: Request, *, excluded: bool) -> None:
    request.status = str(RequestStatus.TRIAGE)
    request.triage_reason = (
        "every matching agency returned it" if excluded else "no agreement covers it"
    )


def _triage_event(request: Request, actor: str) -> dict[str, Any]:
    return event_row(
        EventKind.REQUEST_TRIAGE,
        request.id,
        actor=actor,
        reason=request.triage_reason,
        category=request.category,
        county=request.county,
    )


def _received_at(doc: Mapping[str, Any], default: datetime) -> datetime:
    value = doc.get("received_at")
    if not value:
        return default
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else default


_REQUESTS = Request.__table__.c
# Compiled once: only what the comparison needs (not the documents), the first twenty.
_EARLIER = (
    select(_REQUESTS.id, _REQUESTS.tracking_code, _REQUESTS.text_fingerprint)
    .where(
        _REQUESTS.citizen_national_id == bindparam("national_id"),
        _REQUESTS.category == bindparam("category"),
        _REQUESTS.created_at >= bindparam("since"),
        _REQUESTS.status != str(RequestStatus.DUPLICATE),
    )
    .order_by(_REQUESTS.id)
    .limit(20)
)


def _earlier_duplicate(
    session: Session, request: Request, settings: Settings
) -> EarlierRequest | None:
    since = request.created_at - timedelta(hours=settings.duplicate_window_hours)
    candidates = session.connection().execute(
        _EARLIER,
        {
            "national_id": request.citizen_national_id,
            "category": request.category,
            "since": since,
        },
    )
    for candidate in candidates.all():
        if are_near_duplicates(
            candidate.text_fingerprint, request.text_fingerprint, settings.duplicate_similarity
        ):
            return EarlierRequest(candidate.id, candidate.tracking_code)
    return None
