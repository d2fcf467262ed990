"""How requests, referrals and events look in API answers."""

from __future__ import annotations

from typing import Any

from hub.agreements.registry import AgreementRegistry
from hub.core.errors import NotFound
from hub.core.states import Outcome, ReferralState
from hub.db.models import Event, Referral, Request


def agency_names(registry: AgreementRegistry, agreement_id: str) -> dict[str, str]:
    try:
        agreement = registry.get(agreement_id)
    except NotFound:
        return {"agency_fa": agreement_id, "agency_en": agreement_id}
    return {"agency_fa": agreement.name_fa, "agency_en": agreement.name_en}


def referral_view(referral: Referral, registry: AgreementRegistry) -> dict[str, Any]:
    state = ReferralState(referral.state)
    return {
        "reference": referral.reference,
        "agreement_id": referral.agreement_id,
        "agreement_version": referral.agreement_version,
        **agency_names(registry, referral.agreement_id),
        "state": state.value,
        "state_fa": state.label_fa,
        "external_id": referral.external_id,
        # The number the agency's clerks use for the case, where it is not its internal id
        # (Znuny's TicketNumber beside its TicketID); else the id itself.
        "case_number": case_number(referral),
        "attempts": referral.attempts,
        "last_error": referral.last_error,
        "result": referral.result,
        # How a resolved case ended: successful, unsuccessful or rejected; null until resolved.
        "outcome": referral.outcome,
        "outcome_fa": Outcome(referral.outcome).label_fa if referral.outcome else None,
        "created_at": referral.created_at.isoformat(),
        "delivered_at": referral.delivered_at.isoformat() if referral.delivered_at else None,
        "resolved_at": referral.resolved_at.isoformat() if referral.resolved_at else None,
    }


def request_summary(request: Request) -> dict[str, Any]:
    doc = request.document
    return {
        "tracking_code": request.tracking_code,
        "status": request.status,
        "channel": request.channel,
        "type": request.type,
        "category": request.category,
        "county": request.county,
        "subject": doc["subject"],
        "received_at": request.received_at.isoformat(),
        "triage_reason": request.triage_reason,
    }


def event_view(event: Event, references: dict[int, str]) -> dict[str, Any]:
    return {
        "at": event.created_at.isoformat(),
        "kind": event.kind,
        "referral": references.get(event.referral_id) if event.referral_id else None,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": event.actor,
        "data": event.data,
    }


def case_number(referral: Referral) -> str | None:
    """The agency's case number as its clerks say it (``push.case_number``), else its id."""
    number = (referral.receipt or {}).get("case_number")
    return str(number) if number else referral.external_id
