"""The daily failure digest: what could not be delivered, told to the admins and each agency.

Once a day (beat, ``SAMAD_FAILURE_DIGEST_AT`` UTC) the referrals that ended in
``delivery_failed`` in the last 24 hours, and the agency replies still waiting in the review
queue (:mod:`hub.referrals.reviews`: replies the hub could not interpret), are summarised: every
admin (``SAMAD_ADMIN_EMAILS``) gets them all, each agency's contacts (``agency.contacts[].email``
in its agreement) get theirs — one mail per agency, so a contact of two agencies gets two. An
agency is told only of its replies about one of its referrals (a stray mail to the replies
mailbox is the admins' to read).

A digest is an email *notification* (``hub.notifications.outbox``, kind ``failure_digest``):
recorded
under the key ``failure-digest:<day>:<all|agreement>:<recipient>`` — a second beat, a retried task
or a second run the same day records nothing new, so nobody is mailed twice — then sent by the
notification sweep through the email notifier (``SAMAD_SMTP_*``). A relay that is down or says
"not now" is tried again with backoff; a permanent refusal, or the last attempt, leaves the row
``failed`` with its error and an ``alert`` event. Nothing is lost: the row, its attempts and its
last error stay in ``notifications``.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from hub.agreements.registry import AgreementRegistry
from hub.core.errors import NotFound
from hub.core.settings import Settings
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery.dead_letters import DeadLetter, list_failed
from hub.notifications.outbox import record_notifications
from hub.referrals.reviews import WaitingReply, waiting

log = logging.getLogger(__name__)
KIND = "failure_digest"
KEY_LENGTH = 160  # notifications.key


@dataclass(frozen=True)
class Digest:
    recipient: str
    agreement_id: str | None
    letters: list[DeadLetter]
    replies: list[WaitingReply] = field(default_factory=list)


def plan_digests(
    letters: list[DeadLetter],
    registry: AgreementRegistry,
    settings: Settings,
    replies: list[WaitingReply] | None = None,
) -> list[Digest]:
    """Who gets which failures: the admins all of them, each agency's contacts its own."""
    replies = replies or []
    digests = [Digest(email, None, letters, replies) for email in settings.admin_emails]
    by_agency: dict[str, list[DeadLetter]] = defaultdict(list)
    replies_of: dict[str, list[WaitingReply]] = defaultdict(list)
    for letter in letters:
        by_agency[letter.agreement_id].append(letter)
    for reply in replies:
        if reply.referral_id is not None:
            replies_of[reply.agreement_id].append(reply)
    for agreement_id in sorted(by_agency.keys() | replies_of.keys()):
        for email in _contacts(agreement_id, registry):
            digests.append(
                Digest(email, agreement_id, by_agency[agreement_id], replies_of[agreement_id])
            )
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
    if digest.letters:
        lines += ["", "Resend: samad-hub referrals resend <id> | --agency <agreement id>"]
    if digest.replies:
        subject += f" — {len(digest.replies)} پاسخ در انتظار بررسی"
        lines += ["", *_replies_section(digest.replies)]
    return subject, "\n".join(lines)


def _replies_section(replies: list[WaitingReply]) -> list[str]:
    lines = [
        f"پاسخ‌های دستگاه که سامانه نتوانست بخواند و در انتظار بررسی‌اند ({len(replies)}):",
        f"Agency replies the hub could not interpret, waiting for review ({len(replies)}):",
    ]
    for reply in replies:
        about = reply.reference or "(no referral)"
        lines.append(
            f"- #{reply.review_id} {about} [{reply.agreement_id}] "
            f"{reply.opened_at:%Y-%m-%d %H:%M} UTC, from {reply.sender or '?'} "
            f"«{reply.subject or ''}»: {reply.reason}"
        )
    lines.append("Review: /dashboard/replies | samad-hub replies review, show <id>, apply <id>")
    return lines


def send_failure_digests(
    registry: AgreementRegistry, settings: Settings, now: datetime | None = None
) -> list[Digest]:
    """Record today's digests for the notification sweep to send; returns the ones this call
    recorded (none if they were recorded already today)."""
    now = now or utcnow()
    day = now.date().isoformat()
    recorded = []
    with session_scope() as session:
        letters = list_failed(session, since=now - timedelta(days=1), limit=5000)
        replies = waiting(session, opened_before=now, limit=5000)
        if not letters and not replies:
            return []  # a day without failures, and no reply waiting, mails nobody
        for digest in plan_digests(letters, registry, settings, replies):
            if record_notifications(session, [_message(digest, day)]):
                recorded.append(digest)
    if recorded:
        log.info("failure digests of %s recorded for %d recipient(s)", day, len(recorded))
    return recorded


def digest_key(digest: Digest, day: str) -> str:
    """Unique per day, scope (every agency, or one) and recipient."""
    key = f"failure-digest:{day}:{digest.agreement_id or 'all'}:{digest.recipient}"
    if len(key) <= KEY_LENGTH:
        return key
    hashed = hashlib.sha256(digest.recipient.encode()).hexdigest()[:32]
    return f"failure-digest:{day}:{digest.agreement_id or 'all'}:{hashed}"


def _message(digest: Digest, day: str) -> dict[str, Any]:
    subject, body = compose(digest, day)
    return {
        "key": digest_key(digest, day),
        "kind": KIND,
        "channel": "email",
        "recipient": digest.recipient,
        "subject": subject,
        "body": body,
        "agreement_id": digest.agreement_id,
        "detail": {
            "day": day,
            "referrals": [letter.referral_id for letter in digest.letters],
            "reply_reviews": [reply.review_id for reply in digest.replies],
        },
    }
