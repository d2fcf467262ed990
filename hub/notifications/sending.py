"""Sending a recorded notification through the notifier of its channel, and settling it.

The task wins the row by compare-and-set (``pending → sending``) and hands it to the notifier:
``sent`` with the gateway's id; a transient failure goes back to ``pending`` with exponential
backoff; a permanent one, or the last attempt, ends ``failed`` with an ``alert`` event, after the
notifier's :meth:`~hub.plugins.notifier.Notifier.fallback` had its chance to record it another
way (an agency's refused reminder goes to its contacts by e-mail).
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from hub.core.backoff import RetryPolicy
from hub.core.errors import HubError, NotifierError
from hub.core.settings import Settings, get_settings
from hub.db.models_deadlines import Notification
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.notifications.outbox import NotificationStatus
from hub.plugins.manager import plugins
from hub.plugins.notifier import Notifier, OutgoingMessage
from hub.referrals.events import AlertKind, alert

log = logging.getLogger(__name__)


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
        if won.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult, typed as Result
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
            alert(
                session,
                AlertKind.NOTIFICATION_FAILED,
                request_id=row.request_id,
                referral_id=row.referral_id,
                actor="notifier",
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
    """Where the channel's notifier recorded the failed message instead (none: no notifier)."""
    try:
        notifier = notifier_for(failed.channel)
    except HubError:
        return []
    return notifier.fallback(session, failed)
