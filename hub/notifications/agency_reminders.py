"""Telling an agency about a case it already holds: on its own system's channel where its
connector can carry a reminder, by email to its contacts where it cannot.

Two moments use it: the escalation's ``remind_agency`` rung (a deadline near or missed) and the
citizen's reopen (the case runs again, with new deadlines). Either way the message is a
``notifications`` row recorded in the caller's transaction under a unique key — so it is decided
once — and the notification sweep sends it, retrying transient failures. A reminder for the
agency's system goes on the ``connector`` channel
(:mod:`hub.notifications.notifiers.agency_connector`), the
:class:`hub.plugins.connector.Reminder` it becomes kept in the row's ``detail``.

The connector channel is chosen only for a case the agency's system holds (the referral has the
agency's id, ``external_id``) and whose connector says ``can_remind()``. A reminder the agency's
system finally refuses (a permanent error, or every attempt used up) is not left at an alert: the
same message goes by email to the agency's contacts (:func:`fall_back_to_email`).
"""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.calendars.jalali import format_jalali
from hub.core.errors import HubError
from hub.db.models import Referral, Request
from hub.db.models_deadlines import Notification
from hub.notifications.messages import Rendered, render
from hub.notifications.outbox import message_row, record_notifications
from hub.plugins.connector import Reminder, ReminderKind

log = logging.getLogger(__name__)

CHANNEL = "connector"
KEY_LENGTH = 128  # notifications.key


class ReminderRoute:
    """Whether each agreement's connector carries reminders, asked once per agreement version."""

    def __init__(self, registry: AgreementRegistry) -> None:
        self._registry = registry
        self._answers: dict[tuple[str, str], bool] = {}

    def by_connector(self, agreement: Agreement, referral: Referral) -> bool:
        if not referral.external_id:  # the case never reached the agency's system
            return False
        key = (agreement.id, agreement.version)
        if key not in self._answers:
            self._answers[key] = self._can_remind(agreement)
        return self._answers[key]

    def _can_remind(self, agreement: Agreement) -> bool:
        try:
            return self._registry.connector(agreement).can_remind()
        except HubError as exc:  # e.g. a missing secret: the agency still hears, by email
            log.warning("agreement %s: connector unavailable for reminders: %s", agreement.id, exc)
            return False


def contacts(agreement: Agreement) -> list[str]:
    """The email addresses of the agency's contacts (who receive referrals)."""
    agency = agreement.document.get("agency") or {}
    return [p["email"] for p in agency.get("contacts") or [] if p.get("email")]


def reminder_rows(
    key: str,
    kind: str,
    referral: Referral,
    agreement: Agreement,
    text: Rendered,
    route: ReminderRoute,
    reminder: dict[str, Any],
) -> list[dict[str, Any]]:
    """Notification rows for one reminder: one on the connector channel, or one per contact.

    ``reminder`` holds the :class:`Reminder` fields beyond the text: ``kind`` (a
    :class:`ReminderKind`), ``deadline``, ``due_at``, ``late_seconds``.
    """
    ids = {
        "request_id": referral.request_id,
        "referral_id": referral.id,
        "agreement_id": agreement.id,
    }
    if route.by_connector(agreement, referral):
        row = message_row(
            f"{key}:{CHANNEL}", kind, CHANNEL, _recipient(agreement, referral), text, **ids
        )
        return [{**row, "detail": {"reminder": _stored(reminder)}}]
    return [
        message_row(f"{key}:{email}", kind, "email", email, text, **ids)
        for email in contacts(agreement)
    ]


def fall_back_to_email(
    session: Session, failed: Notification, registry: AgreementRegistry
) -> list[str]:
    """Record the failed connector-channel reminder again, by email to each of the agency's
    contacts, in the caller's transaction; returns the addresses (none when the agreement is not
    loaded or names no contact — the alert stays the only trace then)."""
    agreement = registry.get(failed.agreement_id) if failed.agreement_id else None
    if agreement is None:
        return []
    text = Rendered(failed.subject, failed.body)
    ids = {
        "request_id": failed.request_id,
        "referral_id": failed.referral_id,
        "agreement_id": failed.agreement_id,
    }
    addresses = contacts(agreement)
    rows = [
        message_row(_fallback_key(failed.key, email), failed.kind, "email", email, text, **ids)
        for email in addresses
    ]
    record_notifications(session, rows)  # unique keys: recorded once, however often called
    return addresses


def _fallback_key(key: str, email: str) -> str:
    """``<key>:fallback:<email>``, or a digest of it where that would not fit the column."""
    whole = f"{key}:fallback:{email}"
    if len(whole) <= KEY_LENGTH:
        return whole
    return f"fallback:{hashlib.sha256(whole.encode()).hexdigest()}"


def tell_agency_of_reopen(
    session: Session,
    referral: Referral,
    request: Request,
    agreement: Agreement,
    registry: AgreementRegistry,
    comment: str | None = None,
) -> int:
    """Record the news of a reopen for the agency (after its new deadlines were set)."""
    due = referral.result_due_at
    text = render(
        "agency_reopened",
        agency=agreement.name_fa,
        reference=referral.reference,
        tracking_code=request.tracking_code,
        subject=request.document.get("subject", ""),
        comment=comment or "",
        result_due_fa=format_jalali(due) if due else "—",
    )
    started = referral.deadlines_started_at
    key = f"referral:{referral.id}:reopened@{int(started.timestamp()) if started else 0}"
    reminder = {"kind": ReminderKind.REOPENED, "deadline": "result", "due_at": due}
    route = ReminderRoute(registry)
    rows = reminder_rows(key, "agency_reopened", referral, agreement, text, route, reminder)
    return record_notifications(session, rows)


def reminder_of(
    key: str, external_id: str, subject: str, body: str, stored: dict[str, Any]
) -> Reminder:
    """The :class:`Reminder` a connector-channel notification stands for."""
    due_at = stored.get("due_at")
    return Reminder(
        key=key,
        kind=ReminderKind(stored["kind"]),
        external_id=external_id,
        subject=subject,
        body=body,
        deadline=stored.get("deadline"),
        due_at=datetime.fromisoformat(due_at) if due_at else None,
        late_seconds=int(stored.get("late_seconds") or 0),
    )


def _stored(reminder: dict[str, Any]) -> dict[str, Any]:
    due_at = reminder.get("due_at")
    return {
        "kind": str(reminder["kind"]),
        "deadline": reminder.get("deadline"),
        "due_at": due_at.isoformat() if isinstance(due_at, datetime) else None,
        "late_seconds": int(reminder.get("late_seconds") or 0),
    }


def _recipient(agreement: Agreement, referral: Referral) -> str:
    return f"{agreement.connector_type}:{referral.external_id}"[:255]
