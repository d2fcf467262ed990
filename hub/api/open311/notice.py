"""``service_notice``: what the citizen can expect, told when the request is filed."""

from __future__ import annotations

from hub.agreements.registry import AgreementRegistry
from hub.api.open311.views import agency_of, moment
from hub.intake.submit import IntakeResult


def service_notice(result: IntakeResult, registry: AgreementRegistry) -> str:
    if result.duplicate_of is not None:
        code = result.duplicate_of.tracking_code
        return f"تکراری: پیش‌تر با کد {code} ثبت شده است / Duplicate of request {code}."
    if not result.referrals:
        return (
            "در صف بررسی ستاد؛ کارشناس دستگاه مسئول را تعیین می‌کند / In the centre's triage "
            "queue: an operator will choose the agency."
        )
    agencies = " | ".join(
        dict.fromkeys(agency_of(registry, r.agreement_id) for r in result.referrals)
    )
    dues = [r.result_due_at for r in result.referrals if r.result_due_at]
    due = f"; an answer is due by {moment(max(dues))}" if dues else ""
    return f"ارجاع شد به / Referred to {agencies}{due}."
