"""The email connector: refers by SMTP, reads the agency's replies from IMAP or a Maildir.

``push`` renders and sends one mail whose Message-ID is derived from the referral's idempotency
key — a retry after an ambiguous SMTP failure resends the very same mail, which mail programs
(and the agency sandbox) show once. ``poll`` reads every mail not yet acknowledged and returns
one update per Message-ID: a status, a bounce, or an unmatched mail for triage
(:mod:`connectors.email.updates`). A bounce is recognised first, then a mail no person wrote
(:mod:`connectors.email.automatic`); the rest is read as the clerk wrote it
(:mod:`connectors.email.reading`). Nothing is flagged or moved until ``acknowledge``. ``remind``
sends a reminder in the referral's thread (:mod:`connectors.email.reminders`).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from typing import Any

import jinja2

from connectors.email.automatic import automatic_because
from connectors.email.bounces import is_bounce, read_bounce
from connectors.email.composing import (
    REFERRAL_HEADER,
    Envelope,
    compose,
    gather_attachments,
)
from connectors.email.imap_source import ImapReplies
from connectors.email.mail import ReplySource, StoredMail, held_for_review
from connectors.email.maildir_source import MaildirReplies
from connectors.email.reading import read_reply
from connectors.email.reminders import compose_reminder, render_reminder
from connectors.email.rendering import make_environment, render_referral
from connectors.email.replies import status_key
from connectors.email.sending import probe, send
from connectors.email.settings import SETTINGS_SCHEMA, ImapSource, read_settings
from connectors.email.threads import ThreadFinder
from connectors.email.updates import automatic_update, bounce_update, mail_facts, reply_update
from hub.core.errors import ConnectorError, ConnectorRefused
from hub.plugins.connector import (
    AgencyUpdate,
    Connector,
    ConnectorContext,
    Health,
    OutgoingReferral,
    Receipt,
    Reminder,
)

TEMPLATE_NAMES = (
    "subject.txt.j2",
    "body.txt.j2",
    "body.html.j2",
    "reminder.txt.j2",
    "reminder.html.j2",
)


class EmailConnector(Connector):
    kind = "email"
    settings_schema = SETTINGS_SCHEMA

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.email = read_settings(settings, context.config_dir)
        self._templates = make_environment(self.email.templates_dir)
        self._replies: ReplySource = (
            ImapReplies(self.email.replies)
            if isinstance(self.email.replies, ImapSource)
            else MaildirReplies(self.email.replies)
        )
        self._statuses = {status_key(status): status for status in context.status_map}
        # Mailbox keys of every copy of each update handed out and not yet acknowledged.
        self._unacknowledged: dict[str, set[str]] = {}

    def push(self, referral: OutgoingReferral) -> Receipt:
        message = self.compose(referral)
        recipients = [*self.email.recipients, *self.email.cc]
        refused = send(self.email.smtp, message, recipients)
        message_id = str(message["Message-ID"])
        raw: dict[str, Any] = {
            "message_id": message_id,
            "reference": referral.reference,
            "tracking_code": referral.tracking_code,  # a clerk may quote only this
            "to": recipients,
        }
        if refused:
            raw["refused"] = refused
        return Receipt(referral_id=referral.referral_id, external_id=message_id, raw=raw)

    def compose(self, referral: OutgoingReferral) -> EmailMessage:
        """The mail ``push`` sends for this referral (also what an admin previews)."""
        files, links = gather_attachments(
            referral.request, self.email.forward_attachments, self.email.max_attachment_bytes
        )
        try:
            rendered = render_referral(self._templates, referral, self.context.status_map, links)
        except jinja2.TemplateError as exc:
            raise ConnectorRefused(f"the agreement's mail template is broken: {exc}") from exc
        return compose(referral, rendered, self._envelope(), files)

    def _envelope(self) -> Envelope:
        return Envelope(
            sender=self.email.sender,
            recipients=self.email.recipients,
            cc=self.email.cc,
            reply_to=self.email.reply_to,
            message_id_domain=self.email.message_id_domain,
        )

    def can_remind(self) -> bool:
        return True

    def remind(self, referral: OutgoingReferral, reminder: Reminder) -> None:
        try:
            rendered = render_reminder(self._templates, referral, reminder)
        except jinja2.TemplateError as exc:
            raise ConnectorRefused(f"the agreement's reminder template is broken: {exc}") from exc
        message = compose_reminder(referral, reminder, rendered, self._envelope())
        send(self.email.smtp, message, [*self.email.recipients, *self.email.cc])

    def poll(self, receipts: Sequence[Receipt]) -> list[AgencyUpdate]:
        finder = ThreadFinder(receipts, self.email.message_id_domain, self.email.reference_pattern)
        updates: dict[str, AgencyUpdate] = {}
        for mail in self._replies.fetch():
            update = self._understand(mail, finder)
            self._unacknowledged.setdefault(update.update_id, set()).add(mail.key)
            updates.setdefault(update.update_id, update)  # a duplicate copy is one update
        return list(updates.values())

    def acknowledge(self, updates: Sequence[AgencyUpdate]) -> None:
        keys: set[str] = set()
        for update in updates:
            keys |= self._unacknowledged.pop(update.update_id, set())
            if isinstance(update.raw.get("mailbox_key"), str):
                keys.add(update.raw["mailbox_key"])
        self._replies.acknowledge(sorted(keys))

    def check(self) -> Health:
        problems = []
        for name in TEMPLATE_NAMES:
            try:
                self._templates.get_template(name)
            except jinja2.TemplateError as exc:
                problems.append(f"the mail template {name} does not load: {exc}")
        details = []
        for what, reach in (("SMTP", self._probe_smtp), ("replies", self._replies.check)):
            try:
                details.append(reach())
            except (ConnectorError, OSError) as exc:
                problems.append(f"{what}: {exc}")
        return Health(ok=not problems, detail="; ".join(details), problems=tuple(problems))

    def close(self) -> None:
        self._replies.close()

    def _probe_smtp(self) -> str:
        probe(self.email.smtp)
        return f"SMTP {self.email.smtp.host}:{self.email.smtp.port} accepts the hub"

    def _understand(self, mail: StoredMail, finder: ThreadFinder) -> AgencyUpdate:
        message = BytesParser(policy=default_policy).parsebytes(mail.raw)
        update_id = str(message["Message-ID"] or "").strip()
        if not update_id:
            update_id = f"<sha256.{hashlib.sha256(mail.raw).hexdigest()[:32]}@samad-hub.invalid>"
        common: dict[str, Any] = {
            "update_id": update_id,
            "occurred_at": _date_of(message),
            "raw": {
                "mailbox_key": mail.key,
                "from": str(message["From"] or ""),
                "subject": str(message["Subject"] or ""),
                # The whole mail as received: the hub keeps it, attachments and all.
                "rfc822": base64.b64encode(mail.raw).decode("ascii"),
            },
        }
        if is_bounce(message):
            return held_for_review(self._bounce(message, finder, common))
        read = read_reply(message, self._statuses)
        thread = finder.find(message, read.text)
        common = mail_facts(common, thread)
        automatic = automatic_because(message)
        if automatic:
            return held_for_review(automatic_update(automatic, thread, common))
        return held_for_review(reply_update(read, thread, self._statuses, common))

    def _bounce(
        self, message: EmailMessage, finder: ThreadFinder, common: dict[str, Any]
    ) -> AgencyUpdate:
        bounce = read_bounce(message)
        returned = bounce.returned_headers
        thread = finder.find(
            {
                "In-Reply-To": returned.get("Message-ID", ""),
                REFERRAL_HEADER: returned.get(REFERRAL_HEADER, ""),
                "Subject": returned.get("Subject", ""),
            }
        )
        return bounce_update(bounce, thread, mail_facts(common, thread))


def _date_of(message: EmailMessage) -> Any:
    try:
        return parsedate_to_datetime(str(message["Date"])) if message["Date"] else None
    except (TypeError, ValueError):
        return None
