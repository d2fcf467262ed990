"""An agency's own referrals, for its token: list, read one, post an update.

An agency token sees only the referrals of the agreement it was made for: another agreement
in the path is refused with 403, another agency's referral under its own path is 404.
Supervisors and admins may read every agency's referrals.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from sqlalchemy import select

from hub.api.agency_updates import receive_update, update_schema, validate_update
from hub.api.auth import AgencyDep, AgencyReaderDep
from hub.api.deps import OffsetQuery, RegistryDep, SessionDep
from hub.api.presenters import referral_view
from hub.core.errors import NotFound
from hub.core.states import ReferralState
from hub.db.models import Referral, Request
from hub.referrals.outgoing import outgoing

router = APIRouter(prefix="/v1/agencies", tags=["agency referrals"])


@router.get("/{agreement}/referrals")
def agency_referrals(
    agreement: str,
    caller: AgencyReaderDep,
    session: SessionDep,
    registry: RegistryDep,
    state: Annotated[ReferralState | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: OffsetQuery = 0,
) -> dict[str, Any]:
    """This agency's referrals, newest first."""
    query = select(Referral).where(Referral.agreement_id == agreement)
    if state:
        query = query.where(Referral.state == state.value)
    page = session.scalars(query.order_by(Referral.id.desc()).limit(limit).offset(offset)).all()
    return {"items": [referral_view(r, registry) for r in page], "limit": limit, "offset": offset}


@router.get("/{agreement}/referrals/{reference}")
def agency_referral(
    agreement: str,
    reference: str,
    caller: AgencyReaderDep,
    session: SessionDep,
    registry: RegistryDep,
) -> dict[str, Any]:
    """One referral with the request as the agreement lets this agency see it."""
    referral = _own(session, agreement, reference)
    request = session.get_one(Request, referral.request_id)
    view = outgoing(referral, request, registry.get(agreement))
    return {**referral_view(referral, registry), "fields": view.fields, "request": view.request}


@router.post(
    "/{agreement}/referrals/{reference}/updates",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": update_schema()}},
        }
    },
)
def agency_update(
    agreement: str,
    reference: str,
    payload: Annotated[Any, Body()],
    caller: AgencyDep,
    session: SessionDep,
    registry: RegistryDep,
) -> dict[str, Any]:
    """Post an update about one of this agency's referrals (applied once per update id)."""
    _own(session, agreement, reference)
    document = validate_update(
        {**payload, "referral": reference} if isinstance(payload, dict) else payload
    )
    document.pop("external_id", None)
    return receive_update(session, registry, registry.get(agreement), document, caller.actor)


def _own(session: Any, agreement: str, reference: str) -> Referral:
    referral = session.scalar(
        select(Referral).where(
            Referral.reference == reference[:32], Referral.agreement_id == agreement
        )
    )
    if referral is None:
        raise NotFound("no referral of this agency with that reference")
    return referral
