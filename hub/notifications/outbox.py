"""The notification outbox: messages recorded first, then claimed by the sweep (sent by
:mod:`hub.notifications.sending`).

1. **Record.** Whoever decides a message is due (intake, a result, an escalation step) inserts a
   ``notifications`` row in its own transaction, under a unique key — a second insert of the same
   key does nothing, so a message is decided once.
2. **Claim.** The sweep takes due rows (``next_attempt_at``, ``SKIP LOCKED``), leases them and
   sends one task per row; the task wins the row by compare-and-set (``pending → sending``).
3. **Send and settle.** ``sent`` with the gateway's id; a transient failure goes back to
   ``pending`` with exponential backoff; a permanent one, or the last attempt, ends ``failed``
   with an ``alert`` event. A row left ``sending`` by a dead worker is retried when its lease
   runs out — with the same ``localid`` / Message-ID, so the gateway can refuse the copy.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.core.settings import Settings
from hub.db.bulk import insert_rows, lease_due
from hub.db.models import Referral, Request
from hub.db.models_deadlines import Notification
from hub.db.types import utcnow
from hub.notifications.messages import Rendered, render

log = logging.getLogger(__name__)


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


def record_notifications(session: Session, rows: list[dict[str, Any]]) -> int:
    """Record messages (dicts of Notification columns, ``key`` unique); returns how many are new."""
    if not rows:
        return 0
    now = utcnow()
    full = [
        {
            "status": str(NotificationStatus.PENDING),
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "subject": "",
            "request_id": None,
            "referral_id": None,
            "agreement_id": None,
            "detail": None,
            **row,
        }
        for row in rows
    ]
    return len(insert_rows(session, Notification, full, ignore_duplicates=True, returning=("id",)))


def message_row(
    key: str, kind: str, channel: str, recipient: str, text: Rendered, **ids: Any
) -> dict[str, Any]:
    return {
        "key": key,
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "subject": text.subject,
        "body": text.body,
        **ids,
    }


def _citizen_channels(agreements: Iterable[Agreement], moment: str) -> list[str]:
    channels: list[str] = []
    for agreement in agreements:
        citizen = (agreement.document.get("notifications") or {}).get("citizen") or {}
        channels += [c for c in citizen.get(moment, []) if c not in channels]
    return channels


def _citizen_address(request: Request, channel: str) -> str | None:
    if channel == "sms":
        return request.citizen_mobile or None
    return (request.document.get("citizen") or {}).get("email") or None


def _citizen_name(request: Request) -> str:
    citizen = request.document.get("citizen") or {}
    return " ".join(p for p in (citizen.get("first_name"), citizen.get("last_name")) if p)


def notify_citizen_of_intake(
    session: Session, request: Request, agreements: list[Agreement]
) -> int:
    """The tracking code, by the channels the request's agreements ask for."""
    text = render(
        "citizen_intake",
        citizen_name=_citizen_name(request),
        subject=request.document["subject"],
        tracking_code=request.tracking_code,
        agencies=[a.name_fa for a in agreements],
    )
    rows = []
    for channel in _citizen_channels(agreements, "on_intake"):
        address = _citizen_address(request, channel)
        if address:
            key = f"request:{request.id}:intake:{channel}"
            rows.append(
                message_row(key, "citizen_intake", channel, address, text, request_id=request.id)
            )
    return record_notifications(session, rows)


def notify_citizen_of_result(
    session: Session, referral: Referral, agreement: Agreement, settings: Settings
) -> int:
    """A copy of the result, once per result (a reopened case's new result is a new message)."""
    from hub.calendars.jalali import format_jalali

    request = session.get_one(Request, referral.request_id)
    resolved_at = referral.resolved_at or utcnow()
    text = render(
        "citizen_result",
        citizen_name=_citizen_name(request),
        tracking_code=request.tracking_code,
        agency=agreement.name_fa,
        result=referral.result or "",
        outcome=referral.outcome or "successful",
        reopen_until=format_jalali(
            resolved_at + timedelta(days=settings.reopen_window_days), with_time=False
        ),
    )
    stamp = int(resolved_at.timestamp())
    rows = []
    for channel in _citizen_channels([agreement], "on_result"):
        address = _citizen_address(request, channel)
        if address:
            key = f"referral:{referral.id}:result@{stamp}:{channel}"
            ids = {"request_id": request.id, "referral_id": referral.id}
            rows.append(
                message_row(
                    key, "citizen_result", channel, address, text, agreement_id=agreement.id, **ids
                )
            )
    return record_notifications(session, rows)


def claim_due_notifications(
    session: Session, now: datetime, lease: timedelta, limit: int
) -> list[int]:
    """Ids of messages due now, each leased to this sweep; abandoned sends come back first."""
    session.execute(
        update(Notification)
        .where(
            Notification.status == str(NotificationStatus.SENDING),
            Notification.next_attempt_at <= now,
        )
        .values(status=str(NotificationStatus.PENDING), last_error="send lease expired")
        .execution_options(synchronize_session=False)
    )
    return lease_due(
        session,
        Notification,
        Notification.status == str(NotificationStatus.PENDING),
        now=now,
        lease=lease,
        limit=limit,
    )
