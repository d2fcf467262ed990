"""The ``connector`` channel: a reminder handed to the agency's own system through the
connector of its agreement (``Connector.remind``), recorded and retried like any message.

The notification row names the referral and keeps the reminder's fields in ``detail``; this
notifier rebuilds the :class:`hub.plugins.connector.Reminder`, the referral as the connector sees
it,
and calls ``remind``. A connector's error becomes a :class:`NotifierError` with the same
``permanent``, so the notification sweep retries what is transient and alerts on the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.core.errors import ConnectorError, NotFound, NotifierError
from hub.plugins.notifier import Notifier, OutgoingMessage

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.db.models_deadlines import Notification


class AgencyConnectorNotifier(Notifier):
    channel = "connector"

    def send(self, message: OutgoingMessage) -> str:
        # Imported here: the notifier registry is filled while the plugins (and so the agreement
        # registry) are still loading.
        from hub.agreements.registry import get_registry
        from hub.db.models import Referral, Request
        from hub.db.models_deadlines import Notification
        from hub.db.session import session_scope
        from hub.notifications.agency_reminders import reminder_of
        from hub.referrals.outgoing import outgoing

        registry = get_registry()
        with session_scope() as session:
            row = session.get_one(Notification, message.notification_id)
            detail = row.detail or {}
            if row.referral_id is None or not detail.get("reminder"):
                raise NotifierError(f"{message.key} is not a reminder of a referral", True)
            referral = session.get_one(Referral, row.referral_id)
            request = session.get_one(Request, referral.request_id)
            try:
                agreement = registry.get(referral.agreement_id)
            except NotFound as exc:  # removed, or a half-written file: it may come back
                raise NotifierError(f"agreement {referral.agreement_id!r} is not loaded") from exc
            if not referral.external_id:
                raise NotifierError(f"referral {referral.id} never reached the agency", True)
            payload = outgoing(referral, request, agreement)
            reminder = reminder_of(
                message.key,
                referral.external_id,
                message.subject,
                message.body,
                detail["reminder"],
            )
        try:
            registry.connector(agreement).remind(payload, reminder)
        except ConnectorError as exc:
            raise NotifierError(exc.message, permanent=exc.permanent) from exc
        return f"{agreement.connector_type}:{reminder.external_id}"[:128]

    def fallback(self, session: Session, failed: Notification) -> list[str]:
        """A reminder the agency's own system refused goes to its contacts by e-mail instead."""
        from hub.agreements.registry import get_registry
        from hub.notifications.agency_reminders import fall_back_to_email

        return fall_back_to_email(session, failed, get_registry())
