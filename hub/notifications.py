"""Notifications: recorded first, then sent by a sweep through the notifier of their channel.

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

import functools
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.backoff import RetryPolicy
from hub.db.bulk import insert_rows
from hub.db.models import Referral, Request
from hub.db.models_deadlines import Notification
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.errors import HubError, NotifierError
from hub.events import EventKind, record
from hub.notifiers.base import Notifier, OutgoingMessage
from hub.notifiers.messages import Rendered, render
from hub.plugins import plugins
from hub.settings import Settings, get_settings

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


def message_row(key: str, kind: str, channel: str, recipient: str, text: Rendered, **ids: Any):  # type: ignore[no-untyped-def]
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
    from hub.jalali import format_jalali

    request = session.get_one(Request, referral.request_id)
    resolved_at = referral.resolved_at or utcnow()
    text = render(
        "citizen_result",
        citizen_name=_citizen_name(request),
        tracking_code=request.tracking_code,
        agency=agreement.name_fa,
        result=referral.result or "",
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
    ids = list(
        session.scalars(
            select(Notification.id)
            .where(
                Notification.status == str(NotificationStatus.PENDING),
                Notification.next_attempt_at <= now,
            )
            .order_by(Notification.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            update(Notification)
            .where(Notification.id.in_(ids))
            .values(next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
    return ids


@functools.cache
def notifier_for(channel: str) -> Notifier:
    """This process's notifier for ``channel`` (one instance, reused)."""
    return plugins().notifiers.get(channel)(get_settings())


def send_notification(notification_id: int, settings: Settings) -> str:
    """Send one recorded message if it is still due; returns its status afterwards."""
    claimed = _claim(notification_id, settings)
    if claimed is None:
        return "not_due"
    message, channel, attempt = claimed
    try:
        provider_ref, error = notifier_for(channel).send(message), None
    except NotifierError as exc:
        provider_ref, error = None, exc
    except HubError as exc:  # e.g. no notifier for the channel: nothing will change that
        provider_ref, error = None, NotifierError(str(exc), permanent=True)
    except Exception as exc:  # a notifier bug must not lose the message: retry, then alert
        log.exception("notifier %s crashed on notification %s", channel, notification_id)
        provider_ref, error = None, NotifierError(f"notifier crashed: {exc!r}")
    return _settle(notification_id, attempt, provider_ref, error, settings)


def _claim(notification_id: int, settings: Settings) -> tuple[OutgoingMessage, str, int] | None:
    with session_scope() as session:
        now = utcnow()
        lease = now + timedelta(seconds=settings.notification_lease_seconds)
        won = session.execute(
            update(Notification)
            .where(
                Notification.id == notification_id,
                Notification.status == str(NotificationStatus.PENDING),
            )
            .values(
                status=str(NotificationStatus.SENDING),
                attempts=Notification.attempts + 1,
                next_attempt_at=lease,
            )
            .execution_options(synchronize_session=False)
        )
        if won.rowcount != 1:  # type: ignore[attr-defined]
            return None
        row = session.get_one(Notification, notification_id)
        session.refresh(row)
        message = OutgoingMessage(row.id, row.key, row.recipient, row.subject, row.body)
        return message, row.channel, row.attempts


def _settle(
    notification_id: int,
    attempt: int,
    provider_ref: str | None,
    error: NotifierError | None,
    settings: Settings,
) -> str:
    policy = RetryPolicy(
        settings.notification_max_attempts,
        settings.notification_backoff_seconds,
        settings.notification_backoff_max_seconds,
    )
    with session_scope() as session:
        row = session.get_one(Notification, notification_id)
        if row.status != NotificationStatus.SENDING or row.attempts != attempt:
            return row.status  # its lease ran out and someone else took it over
        now = utcnow()
        if error is None:
            row.status, row.sent_at, row.provider_ref = (
                str(NotificationStatus.SENT),
                now,
                provider_ref,
            )
            row.next_attempt_at, row.last_error = None, None
            return row.status
        row.last_error = error.message
        row.detail = {**(row.detail or {}), "code": error.code} if error.code else row.detail
        if error.permanent or policy.exhausted(attempt):
            row.status, row.next_attempt_at = str(NotificationStatus.FAILED), None
            why = "permanent error" if error.permanent else f"gave up after {attempt} attempts"
            instead = _fall_back(session, row)
            record(
                session,
                EventKind.ALERT,
                request_id=row.request_id,
                referral_id=row.referral_id,
                actor="notifier",
                alert="notification_failed",
                notification=row.key,
                channel=row.channel,
                reason=f"{why}: {error.message}",
                **({"sent_instead_by_email_to": instead} if instead else {}),
            )
            return row.status
        row.status = str(NotificationStatus.PENDING)
        row.next_attempt_at = now + timedelta(seconds=policy.delay_after(attempt))
        return row.status


def _fall_back(session: Session, failed: Notification) -> list[str]:
    """A reminder the agency's own system refused goes to its contacts by email instead."""
    from hub.agency_reminders import CHANNEL, fall_back_to_email  # it records through this module
    from hub.agreements.registry import get_registry

    if failed.channel != CHANNEL:
        return []
    return fall_back_to_email(session, failed, get_registry())
