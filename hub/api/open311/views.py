"""How a stored request looks to an Open311 client, whichever channel it came in by.

``status`` is ``open`` until intake's status says the agencies answered (``resolved``,
``closed``) or the request duplicates an earlier one; ``status_notes`` is the agency's answer
(or, until there is one, where the referral stands); ``agency_responsible`` the agencies of its
live referrals; ``expected_datetime`` the latest result deadline the deadline engine set. Times
are ISO 8601 with Tehran's offset.

Without a staff ``api_key`` only what says nothing about the citizen is shown: no description,
address, coordinates, media or the agency's answer (which is written to the citizen).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from hub.agreements.categories import names_of
from hub.agreements.registry import AgreementRegistry
from hub.api.open311.services import agency_name
from hub.core.errors import NotFound
from hub.core.states import ANSWERED, ReferralState, RequestStatus
from hub.db.models import Referral, Request

TEHRAN = ZoneInfo("Asia/Tehran")
CLOSED = frozenset({RequestStatus.RESOLVED, RequestStatus.CLOSED, RequestStatus.DUPLICATE})
OPEN = frozenset(RequestStatus) - CLOSED


def moment(value: datetime | None) -> str | None:
    return value.astimezone(TEHRAN).isoformat(timespec="seconds") if value else None


def agency_of(registry: AgreementRegistry, agreement_id: str) -> str:
    try:
        return agency_name(registry.get(agreement_id))
    except NotFound:  # an agreement since removed: its id still says who it was
        return agreement_id


def _notes(request: Request, live: Sequence[Referral]) -> str | None:
    if request.status == RequestStatus.DUPLICATE:
        return "تکراری: همان درخواست پیش‌تر ثبت شده است / Duplicate request."
    answers = [r.result for r in live if r.result and ReferralState(r.state) in ANSWERED]
    if answers:
        return answers[-1]
    if request.status == RequestStatus.TRIAGE:
        return "در صف بررسی ستاد / Waiting for the centre to choose an agency."
    states = [ReferralState(r.state) for r in live]
    return "، ".join(f"{s.label_fa} / {s.value}" for s in states) or None


def request_entry(
    request: Request,
    referrals: Sequence[Referral],
    registry: AgreementRegistry,
    *,
    full: bool,
) -> dict[str, Any]:
    """One request as ``GET requests`` shows it; ``full`` for a staff caller."""
    live = [r for r in referrals if r.state != ReferralState.REROUTED]
    dues = [r.result_due_at for r in live if r.result_due_at]
    agencies = list(dict.fromkeys(agency_of(registry, r.agreement_id) for r in live))
    name_fa, name_en = names_of(request.category)
    entry: dict[str, Any] = {
        "service_request_id": request.tracking_code,
        "status": "closed" if request.status in CLOSED else "open",
        "service_name": f"{name_fa} / {name_en}",
        "service_code": request.category,
        "agency_responsible": " | ".join(agencies) or None,
        "requested_datetime": moment(request.received_at),
        "updated_datetime": moment(max([request.created_at, *(r.updated_at for r in referrals)])),
        "expected_datetime": moment(max(dues)) if dues else None,
    }
    if not full:
        return entry
    doc = request.document
    location = doc.get("location", {})
    media = [a["url"] for a in doc.get("attachments", [])]
    return {
        **entry,
        "status_notes": _notes(request, live),
        # GeoReport v2 limits it to 4000 characters; /v1 takes up to 5000.
        "description": (doc.get("description") or "")[:4000] or None,
        "address": location.get("address"),
        "lat": location.get("lat"),
        "long": location.get("lon"),
        "media_url": media[0] if media else None,
    }
