"""Citizen requests: submit, look up by tracking code, list with filters."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Query
from fastapi import Request as HttpRequest
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from sqlalchemy import func, select

from hub.api.auth import CitizenDep, CitizenOrStaffDep, OperatorDep, StaffDep
from hub.api.citizen import citizen_letter, citizen_lookup
from hub.api.deps import (
    OffsetQuery,
    RegistryDep,
    RowId,
    SessionDep,
    SettingsDep,
    query_range,
)
from hub.api.downloads import download
from hub.api.presenters import event_view, referral_view, request_summary
from hub.core.errors import NotFound
from hub.core.states import ReferralState, RequestStatus
from hub.db.models import Event, Referral, Request
from hub.delivery.dispatch import agreements_of
from hub.intake.idempotency import HEADER, keep_answer, register_once
from hub.intake.schema import request_schema
from hub.intake.tracking import is_valid_tracking_code, normalize_tracking_code
from hub.worker.tasks import wake_deliveries

router = APIRouter(prefix="/v1/requests", tags=["requests"])

_REQUEST_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": dict(request_schema())}},
    },
    # OpenAPI links: what a client (and a stateful fuzzer) can do next with the filed request.
    "responses": {
        "201": {
            "description": "Registered: its tracking code, and the referrals made",
            "links": {
                "LookUp": {
                    "operationRef": "#/paths/~1v1~1requests~1{tracking_code}/get",
                    "parameters": {"tracking_code": "$response.body#/tracking_code"},
                },
                "GiveFeedback": {
                    "operationRef": "#/paths/~1v1~1requests~1{tracking_code}~1feedback/post",
                    "parameters": {"tracking_code": "$response.body#/tracking_code"},
                },
                "SeeReferral": {
                    "operationRef": (
                        "#/paths/~1v1~1agencies~1{agreement}~1referrals~1{reference}/get"
                    ),
                    "parameters": {
                        "agreement": "$response.body#/referrals/0/agreement_id",
                        "reference": "$response.body#/referrals/0/reference",
                    },
                },
                "UpdateReferral": {
                    "operationRef": (
                        "#/paths/~1v1~1agencies~1{agreement}~1referrals~1{reference}~1updates/post"
                    ),
                    "parameters": {
                        "agreement": "$response.body#/referrals/0/agreement_id",
                        "reference": "$response.body#/referrals/0/reference",
                    },
                },
            },
        }
    },
}


@router.post("", status_code=201, openapi_extra=_REQUEST_BODY)
def submit(
    payload: Annotated[Any, Body()],
    session: SessionDep,
    registry: RegistryDep,
    settings: SettingsDep,
    caller: OperatorDep,
    answer: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias=HEADER,
            max_length=255,
            description="a key of the caller's choosing (a UUID): sent again with the same "
            "body, the call registers nothing new and answers as the first time did",
        ),
    ] = None,
) -> dict[str, Any]:
    """Register a citizen request; it is routed, and its referrals delivered in the background.

    Send an ``Idempotency-Key``, and retry with the same key whenever the answer was not heard
    (a timeout, a 503): the request is registered once."""
    result, replayed = register_once(
        session,
        payload,
        registry,
        settings,
        actor=caller.actor,
        caller=caller.caller,
        key=idempotency_key,
    )
    if replayed:
        answer.headers["Idempotent-Replayed"] = "true"
        if result.first_answer is not None:
            return result.first_answer  # as it was: its referrals may have been delivered since
    else:
        wake_deliveries(agreements_of(result.referrals))
    body: dict[str, Any] = jsonable_encoder(
        {
            **request_summary(result.request),
            "duplicate_of": result.duplicate_of.tracking_code if result.duplicate_of else None,
            "referrals": [referral_view(r, registry) for r in result.referrals],
        }
    )
    if not replayed:
        keep_answer(session, caller.caller, idempotency_key, body)  # committed with the call
    return body


@router.get("/{tracking_code}")
def lookup(
    tracking_code: str,
    http: HttpRequest,
    session: SessionDep,
    registry: RegistryDep,
    caller: CitizenOrStaffDep,
    mobile: Annotated[
        str | None, Query(max_length=32, description="a citizen's: the mobile filed with")
    ] = None,
) -> dict[str, Any]:
    """A request's state, every referral with its result, and its full history.

    Staff tokens look up any code; a citizen (no token) must give the mobile the request was
    filed with, is rate-limited, and gets the same 404 for a wrong pair as for an unknown code.
    """
    if caller is None:
        return citizen_lookup(session, registry, tracking_code, mobile, http)
    if not is_valid_tracking_code(tracking_code):
        raise NotFound("no request with that tracking code")
    request = session.scalar(
        select(Request).where(Request.tracking_code == normalize_tracking_code(tracking_code))
    )
    if request is None:
        raise NotFound("no request with that tracking code")
    referrals = session.scalars(
        select(Referral).where(Referral.request_id == request.id).order_by(Referral.id)
    ).all()
    references = {r.id: r.reference for r in referrals}
    events = session.scalars(
        select(Event).where(Event.request_id == request.id).order_by(Event.id)
    ).all()
    duplicate_of = (
        session.get_one(Request, request.duplicate_of_id).tracking_code
        if request.duplicate_of_id
        else None
    )
    results = [r.result for r in referrals if r.result and r.state == ReferralState.RESOLVED]
    return {
        **request_summary(request),
        "duplicate_of": duplicate_of,
        "result": results[-1] if results else None,
        "referrals": [referral_view(r, registry) for r in referrals],
        "history": [event_view(e, references) for e in events],
    }


@router.get("/{tracking_code}/letters/{letter_id}", response_class=Response)
def letter(
    tracking_code: str,
    letter_id: RowId,
    http: HttpRequest,
    session: SessionDep,
    registry: RegistryDep,
    caller: CitizenDep,
    mobile: Annotated[
        str | None, Query(max_length=32, description="the mobile the request was filed with")
    ] = None,
) -> Response:
    """An agency's letter on the citizen's own request (where the agreement shares letters), as
    a download; a wrong pair gets the same 404 as an unknown code, and is rate-limited."""
    return download(citizen_letter(session, registry, tracking_code, mobile, letter_id, http))


@router.get("")
def list_requests(
    session: SessionDep,
    registry: RegistryDep,
    caller: StaffDep,
    agency: Annotated[str | None, Query(description="agreement id")] = None,
    state: Annotated[ReferralState | None, Query(description="referral state")] = None,
    status: Annotated[RequestStatus | None, Query()] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    received_from: Annotated[datetime | None, Query(alias="from")] = None,
    received_to: Annotated[datetime | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """Requests, newest first, filtered by agency, referral state, category and date range."""
    received_from, received_to = query_range(received_from, received_to)
    query = select(Request)
    if agency or state:
        sub = select(Referral.request_id)
        if agency:
            sub = sub.where(Referral.agreement_id == agency)
        if state:
            sub = sub.where(Referral.state == state.value)
        query = query.where(Request.id.in_(sub))
    if status:
        query = query.where(Request.status == status.value)
    if category:
        query = query.where(Request.category == category)
    if received_from:
        query = query.where(Request.received_at >= received_from)
    if received_to:
        query = query.where(Request.received_at < received_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(query.order_by(Request.id.desc()).limit(limit).offset(offset)).all()
    referrals = session.scalars(
        select(Referral).where(Referral.request_id.in_([r.id for r in page])).order_by(Referral.id)
    ).all()
    by_request: dict[int, list[dict[str, Any]]] = {}
    for referral in referrals:
        by_request.setdefault(referral.request_id, []).append(referral_view(referral, registry))
    items = [{**request_summary(r), "referrals": by_request.get(r.id, [])} for r in page]
    return {"items": items, "total": total, "limit": limit, "offset": offset}
