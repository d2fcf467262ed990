"""A citizen looking up their own request: tracking code + the mobile it was filed with.

A citizen proves nothing else, so the answer says nothing that would help someone guessing:
a wrong mobile, an unknown code and a malformed code all get the same 404, look-ups are
rate-limited per client address and per tracking code, and the view leaves out what only
staff need (agency case ids, delivery errors, the event log's details). Where an agreement
shares letters, the view lists the agency's letters and the citizen downloads them with the
same pair (:mod:`hub.api.letters`).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request as HttpRequest
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.api.letters import letter_view, shared_letter, shared_letters
from hub.api.presenters import agency_names, request_summary
from hub.auth.digest import same
from hub.auth.ratelimit import check
from hub.core.errors import HubError, NotFound
from hub.core.settings import get_settings
from hub.core.states import ReferralState
from hub.db.models import Event, Referral, Request
from hub.db.models_messages import MessageAttachment
from hub.intake.normalize import normalize_mobile
from hub.intake.tracking import is_valid_tracking_code, normalize_tracking_code

NO_SUCH_REQUEST = "no request with that tracking code and mobile"


def citizen_lookup(
    session: Session,
    registry: AgreementRegistry,
    tracking_code: str,
    mobile: str | None,
    http: HttpRequest,
) -> dict[str, Any]:
    return citizen_view(session, registry, citizens_request(session, tracking_code, mobile, http))


def citizen_letter(
    session: Session,
    registry: AgreementRegistry,
    tracking_code: str,
    mobile: str | None,
    letter_id: int,
    http: HttpRequest,
) -> MessageAttachment:
    """One letter of the citizen's own request, where its agreement shares letters."""
    request = citizens_request(session, tracking_code, mobile, http)
    return shared_letter(session, registry, request, letter_id)


def citizens_request(
    session: Session, tracking_code: str, mobile: str | None, http: HttpRequest
) -> Request:
    """The request of this code and mobile, counted against the look-up rates; else 404."""
    settings = get_settings()
    client = http.client.host if http.client else "unknown"
    check(settings.lookup_rate_per_ip, "lookup-ip", client)
    code = normalize_tracking_code(tracking_code) if is_valid_tracking_code(tracking_code) else ""
    check(settings.lookup_rate_per_code, "lookup-code", code or tracking_code[:32])
    request = _matching(session, code, mobile)
    if request is None:
        raise NotFound(NO_SUCH_REQUEST)
    return request


def limit_citizen(
    http: HttpRequest, action: str, tracking_code: str, per_ip: str, per_code: str
) -> None:
    """Count one citizen ``action`` against its rates per client address and per tracking code
    (429 with ``Retry-After`` when over): guessing a code's mobile stays slow from anywhere."""
    client = http.client.host if http.client else "unknown"
    check(per_ip, f"{action}-ip", client)
    code = normalize_tracking_code(tracking_code) if is_valid_tracking_code(tracking_code) else ""
    check(per_code, f"{action}-code", code or tracking_code[:32])


def _matching(session: Session, code: str, mobile: str | None) -> Request | None:
    try:
        given = normalize_mobile(mobile or "")
    except (HubError, ValueError):
        given = ""
    request = session.scalar(select(Request).where(Request.tracking_code == code)) if code else None
    # Compare even when there is nothing to compare, so timing does not tell which part failed.
    stored = request.citizen_mobile if request is not None else "00000000000"
    if not same(stored, given) or request is None or not given:
        return None
    return request


def citizen_view(session: Session, registry: AgreementRegistry, request: Request) -> dict[str, Any]:
    referrals = session.scalars(
        select(Referral).where(Referral.request_id == request.id).order_by(Referral.id)
    ).all()
    events = session.scalars(
        select(Event)
        .where(Event.request_id == request.id, Event.to_state.is_not(None))
        .order_by(Event.id)
    ).all()
    results = [r.result for r in referrals if r.result and r.state == ReferralState.RESOLVED]
    letters = shared_letters(session, registry, referrals)
    return {
        **request_summary(request),
        "result": results[-1] if results else None,
        "referrals": [
            {
                "reference": r.reference,
                **agency_names(registry, r.agreement_id),
                "state": r.state,
                "state_fa": ReferralState(r.state).label_fa,
                "result": r.result,
                "delivered_at": r.delivered_at.isoformat() if r.delivered_at else None,
                "resolved_at": r.resolved_at.isoformat() if r.resolved_at else None,
                "letters": [letter_view(request, f) for f in letters.get(r.id, [])],
            }
            for r in referrals
        ],
        "history": [
            {"at": e.created_at.isoformat(), "kind": e.kind, "to_state": e.to_state} for e in events
        ],
    }
