"""The daily failure digest: what could not be delivered, told to the admins and each agency.

Once a day (beat, ``SAMAD_FAILURE_DIGEST_AT`` UTC) the referrals that ended in
``delivery_failed`` since the day before are summarised: every admin (``SAMAD_ADMIN_EMAILS``)
gets them all, each agency's contacts (``agency.contacts[].email`` in its agreement) get theirs.
Each digest is *recorded before it is sent* (``failure_digests``, unique per day and recipient),
so a second beat, a retried task or a crash after sending never mails anyone twice; it is sent by
the email notifier (``SAMAD_SMTP_*``) and its row says ``sent``, ``failed`` (with the error) or
``not_sent`` (no relay configured).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry
from hub.db.models_dead_letters import FailureDigest
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.dead_letters import DeadLetter, list_failed
from hub.errors import HubError, NotFound
from hub.notifiers.base import OutgoingMessage
from hub.notifiers.email import EmailNotifier
from hub.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Digest:
    recipient: str
    agreement_id: str | None
    letters: list[DeadLetter]


def plan_digests(
    letters: list[DeadLetter], registry: AgreementRegistry, settings: Settings
) -> list[Digest]:
    """Who gets which failures: the admins all of them, each agency's contacts its own."""
    digests = [Digest(email, None, letters) for email in settings.admin_emails]
    by_agency: dict[str, list[DeadLetter]] = defaultdict(list)
    for letter in letters:
        by_agency[letter.agreement_id].append(letter)
    for agreement_id, own in sorted(by_agency.items()):
        for email in _contacts(agreement_id, registry):
            digests.append(Digest(email, agreement_id, own))
    return digests


def _contacts(agreement_id: str, registry: AgreementRegistry) -> list[str]:
    try:
        agency = registry.get(agreement_id).document.get("agency", {})
    except NotFound:
        return []
    return [c["email"] for c in agency.get("contacts", []) if c.get("email")]


def compose(digest: Digest, day: str) -> tuple[str, str]:
    """Subject and plain-text body, Persian first, then English."""
    who = digest.agreement_id or "همه دستگاه‌ها / all agencies"
    subject = f"سامانه ۱۱۱: {len(digest.letters)} ارجاع ارسال‌نشده — {day} — {who}"
    lines = [
        f"گزارش روزانه ارجاع‌های ارسال‌نشده تا {day} ({who})",
        f"Daily digest of referrals that could not be delivered, up to {day} ({who}):",
        "",
    ]
    for letter in digest.letters:
        lines.append(
            f"- {letter.reference} [{letter.agreement_id}] کد پیگیری {letter.tracking_code}, "
            f"{letter.attempts} attempts, {letter.failed_at:%Y-%m-%d %H:%M} UTC: "
            f"{letter.last_error or ''}"
        )
    lines += ["", "Resend: samad-hub referrals resend <id> | --agency <agreement id>"]
    return subject, "\n".join(lines)


def send_failure_digests(
    registry: AgreementRegistry, settings: Settings, now: datetime | None = None
) -> list[FailureDigest]:
    """Record, then send, today's digests; returns the ones this call recorded."""
    now = now or utcnow()
    day = now.date().isoformat()
    with session_scope() as session:
        letters = list_failed(session, since=now - timedelta(days=1), limit=5000)
    if not letters:
        return []
    recorded = []
    for digest in plan_digests(letters, registry, settings):
        row = _record(digest, day)
        if row is not None:
            recorded.append(_send(row, settings))
    return recorded


def _record(digest: Digest, day: str) -> FailureDigest | None:
    subject, body = compose(digest, day)
    row = FailureDigest(
        day=day,
        recipient=digest.recipient,
        agreement_id=digest.agreement_id,
        referral_count=len(digest.letters),
        subject=subject,
        body=body,
        status="recorded",
    )
    try:
        with session_scope() as session:
            session.add(row)
    except IntegrityError:  # another beat, or an earlier run today, has it: never twice
        return None
    return row


def _send(row: FailureDigest, settings: Settings) -> FailureDigest:
    status, error, sent_at = "sent", None, None
    if not settings.smtp_host:
        status, error = "not_sent", "no SMTP relay configured (SAMAD_SMTP_HOST)"
    else:
        message = OutgoingMessage(
            notification_id=row.id,
            key=f"failure-digest-{row.day}-{row.id}",
            recipient=row.recipient,
            subject=row.subject,
            body=row.body,
        )
        try:
            EmailNotifier(settings).send(message)
            sent_at = utcnow()
        except HubError as exc:
            status, error = "failed", str(exc)
            log.error("failure digest to %s not sent: %s", row.recipient, exc)
    with session_scope() as session:
        _settle(session, row.id, status, error, sent_at)
    row.status, row.error, row.sent_at = status, error, sent_at
    return row


def _settle(
    session: Session, digest_id: int, status: str, error: str | None, sent_at: datetime | None
) -> None:
    stored = session.get_one(FailureDigest, digest_id)
    stored.status, stored.error, stored.sent_at = status, error, sent_at
