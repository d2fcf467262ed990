"""The JSON body of a reminder sent to an agency's API (``settings.remind``).

One flat object an agency developer reads without a manual: what kind of reminder, which
deadline and when it falls — as UTC ISO 8601 for software and in the Iranian calendar for
people — how late the case already is, and the Persian message a clerk can show as it is.
"""

from __future__ import annotations

from typing import Any

from hub.calendars.jalali import format_jalali
from hub.plugins.connector import OutgoingReferral, Reminder


def reminder_body(referral: OutgoingReferral, reminder: Reminder) -> dict[str, Any]:
    due = reminder.due_at
    return {
        "reminder_id": reminder.key,
        "kind": str(reminder.kind),
        "external_id": reminder.external_id,
        "reference": referral.reference,
        "tracking_code": referral.tracking_code,
        "deadline": reminder.deadline,
        "due_at": due.isoformat() if due else None,
        "due_at_jalali": format_jalali(due) if due else None,
        "late_working_seconds": reminder.late_seconds,
        "deadlines": {name: at.isoformat() for name, at in referral.deadlines.items()},
        "subject": reminder.subject,
        "message": reminder.body,
    }
