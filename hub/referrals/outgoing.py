"""What a connector sees of a referral: the shared request mapped to the agency's fields."""

from __future__ import annotations

from typing import Any

from hub.agreements.mapping import apply_mapping, shared_view
from hub.agreements.model import Agreement
from hub.db.models import Referral, Request
from hub.plugins.connector import OutgoingReferral


def _deadlines(referral: Referral) -> dict[str, Any]:
    return {
        name: due
        for name, due in (
            ("view", referral.view_due_at),
            ("act", referral.act_due_at),
            ("result", referral.result_due_at),
        )
        if due is not None
    }


def outgoing(referral: Referral, request: Request, agreement: Agreement) -> OutgoingReferral:
    """The referral as the agreement's connector sees it: mapped fields and the shared view."""
    deadlines = _deadlines(referral)
    view = shared_view(request.document, agreement.share_citizen)
    mapping_document = {
        **view,
        "tracking_code": request.tracking_code,
        "referral": {
            "reference": referral.reference,
            "tracking_code": request.tracking_code,
            "idempotency_key": referral.idempotency_key,
            "deadlines": {k: v.isoformat() for k, v in deadlines.items()},
        },
    }
    return OutgoingReferral(
        referral_id=referral.id,
        reference=referral.reference,
        tracking_code=request.tracking_code,
        idempotency_key=referral.idempotency_key,
        agreement_id=agreement.id,
        fields=apply_mapping(agreement.mapping, mapping_document),
        request={**view, "tracking_code": request.tracking_code},
        deadlines=deadlines,
        attempt=referral.attempts,
    )
