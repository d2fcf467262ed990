"""Admin: failed and unconfirmed deliveries, confirming and sending them again; the breakers."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from hub.api.auth import AdminDep
from hub.api.deps import RegistryDep, RowId, SessionDep
from hub.core.errors import NotFound
from hub.delivery.breaker import breaker_states
from hub.delivery.dead_letters import (
    UNCONFIRMED,
    confirm,
    dead_letter,
    failed_ids,
    list_failed,
    resend,
)
from hub.worker.tasks import send_deliveries

router = APIRouter(prefix="/v1/admin", tags=["admin"])


@router.get("/failed")
def failed(
    caller: AdminDep,
    session: SessionDep,
    agency: str | None = Query(None, description="An agreement id."),
    limit: int = Query(500, ge=1, le=5000),
) -> list[dict[str, Any]]:
    """Referrals whose delivery finally failed, the most recent first."""
    return [letter.as_dict() for letter in list_failed(session, agency, limit=limit)]


@router.get("/unconfirmed")
def unconfirmed(
    caller: AdminDep,
    session: SessionDep,
    agency: str | None = Query(None, description="An agreement id."),
    limit: int = Query(500, ge=1, le=5000),
) -> list[dict[str, Any]]:
    """Referrals sent whose answer was unclear (the agency may hold them), the most recent first."""
    return [
        letter.as_dict() for letter in list_failed(session, agency, limit=limit, state=UNCONFIRMED)
    ]


class CaseFound(BaseModel):
    external_id: str = Field(min_length=1, max_length=128, description="The agency's case id.")


@router.post("/referrals/{referral_id}/confirm")
def confirm_one(
    caller: AdminDep, referral_id: RowId, found: CaseFound, session: SessionDep
) -> dict[str, Any]:
    """The case an unconfirmed (or failed) referral has at the agency: delivered, then polled."""
    if not confirm(session, referral_id, found.external_id, actor="admin-api"):
        raise NotFound(f"referral {referral_id} is neither unconfirmed nor failed")
    session.commit()
    return {"confirmed": referral_id, "external_id": found.external_id.strip()}


@router.get("/failed/{referral_id}")
def failed_one(
    caller: AdminDep, referral_id: RowId, session: SessionDep, registry: RegistryDep
) -> dict[str, Any]:
    """One failed referral: its payload, every attempt and the last error."""
    return dead_letter(session, referral_id, registry).as_dict()


@router.post("/referrals/{referral_id}/resend")
def resend_one(
    caller: AdminDep,
    referral_id: RowId,
    session: SessionDep,
    may_duplicate: bool = Query(
        False, description="Also an unconfirmed one, knowing the agency may hold two cases."
    ),
) -> dict[str, Any]:
    """Send a failed referral again (a fresh round of attempts, the same idempotency key); an
    unconfirmed one only with ``may_duplicate`` (409 otherwise)."""
    if not resend(session, referral_id, actor="admin-api", may_duplicate=may_duplicate):
        raise NotFound(f"referral {referral_id} is neither failed nor unconfirmed")
    session.commit()
    send_deliveries([referral_id])
    return {"resent": [referral_id]}


@router.post("/resend")
def resend_agency(
    caller: AdminDep, session: SessionDep, agency: str = Query(..., description="An agreement id.")
) -> dict[str, Any]:
    """Send every failed referral of one agency again."""
    ids = [i for i in failed_ids(session, agency) if resend(session, i, actor="admin-api")]
    session.commit()
    send_deliveries(ids)
    return {"resent": ids}


@router.get("/breakers")
def breakers(caller: AdminDep, registry: RegistryDep) -> dict[str, dict[str, Any]]:
    """Each agency's circuit breaker: closed, open (until when) or half_open (probing)."""
    states = breaker_states([a.id for a in registry.all()])
    return {
        agreement_id: {
            "state": str(view.state),
            "failures": view.failures,
            "open_until": view.open_until,
        }
        for agreement_id, view in states.items()
    }
