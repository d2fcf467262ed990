"""Delivery-status notifications: the referral mail did not reach the clerk, or not yet.

A standard bounce is ``multipart/report; report-type=delivery-status`` (RFC 3464) carrying a
per-recipient status and the returned message or its headers. Older servers send a plain mail
from MAILER-DAEMON with the original quoted; for those the returned headers are searched in
the text.

A DSN is *permanent* when a recipient's ``Action`` is ``failed`` (the server gave up, even on a
4.x.x status such as 4.4.7 "expired") or its status is 5.x.x; it is *temporary* when every
recipient reported is only ``delayed`` with a 4.x.x status: the server still tries, and the
referral may yet arrive. A plain-text bounce is permanent unless it names only 4.x.x statuses or
says it is a delay warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.policy import default as default_policy
from email.utils import collapse_rfc2231_value
from typing import cast

from connectors.email.composing import REFERRAL_HEADER

_DAEMON_SENDER = re.compile(r"mailer-daemon|postmaster", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|delivery failure|failure notice"
    r"|delayed mail|delivery delay|could not send",
    re.IGNORECASE,
)
_DELAY_WARNING = re.compile(
    r"delay|not (?:yet )?been delivered|will (?:retry|keep trying)|still (?:trying|retrying)"
    r"|warning: could not send|تأخیر|تاخیر",
    re.IGNORECASE,
)
_ENHANCED_STATUS = re.compile(r"(?<![\d.])([245])\.\d{1,3}\.\d{1,3}(?![\d.])")
_QUOTED_HEADER = re.compile(
    r"^(Message-ID|X-Samad-Referral):\s*(.+)$", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True)
class Bounce:
    reason: str
    returned_headers: dict[str, str]  # Message-ID, X-Samad-Referral, Subject … of the lost mail
    permanent: bool  # False: only delayed, the mail server keeps trying
    statuses: tuple[str, ...] = ()  # each recipient's status code, e.g. 5.1.1


@dataclass(frozen=True)
class _Recipient:
    reason: str
    action: str
    status: str


def is_bounce(message: EmailMessage) -> bool:
    if message.get_content_type() == "multipart/report":
        # An RFC 2231 value (report-type*=…) comes as a (charset, language, value) tuple.
        report_type = collapse_rfc2231_value(message.get_param("report-type", ""))
        return report_type.strip().lower() == "delivery-status"
    sender = str(message.get("From") or "") + str(message.get("Return-Path") or "")
    subject = str(message.get("Subject") or "")
    return bool(_DAEMON_SENDER.search(sender) and _BOUNCE_SUBJECT.search(subject))


def read_bounce(message: EmailMessage) -> Bounce:
    recipients: list[_Recipient] = []
    returned: dict[str, str] = {}
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            recipients.extend(_recipients(part))
        elif content_type in ("message/rfc822", "message/global"):
            # The payload of a message/rfc822 part is a list holding the one returned message.
            returned = returned or _headers_of(cast(list[Message], part.get_payload())[0])
        elif content_type in ("text/rfc822-headers", "text/global-headers"):
            # A part that is not multipart decodes to bytes.
            text = cast(bytes, part.get_payload(decode=True)).decode("utf-8", "replace")
            returned = returned or _headers_of(HeaderParser(policy=default_policy).parsestr(text))
    if not returned:
        returned = _headers_quoted_in(message)
    reason = "; ".join(r.reason for r in recipients) or str(message.get("Subject") or "")
    return Bounce(
        reason=reason or "undeliverable",
        returned_headers=returned,
        permanent=_is_permanent(recipients) if recipients else _reads_permanent(message),
        statuses=tuple(r.status for r in recipients if r.status),
    )


def _recipients(part: Message) -> list[_Recipient]:
    # The parser gives a delivery-status part as blocks of fields: the message's, then one per
    # recipient.
    found = []
    for block in cast(list[Message], part.get_payload())[1:]:
        action = str(block.get("Action", "")).strip().lower()
        if action not in ("failed", "delayed", ""):
            continue
        recipient = str(block.get("Final-Recipient", "")).partition(";")[2].strip()
        status = str(block.get("Status", "")).split(" ")[0].strip()
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
        reason = " ".join(x for x in (recipient, status, diagnostic) if x)
        found.append(_Recipient(reason=reason, action=action, status=status))
    return found


def _is_permanent(recipients: list[_Recipient]) -> bool:
    return any(r.action == "failed" or r.status.startswith("5") for r in recipients) or not any(
        r.status.startswith("4") or r.action == "delayed" for r in recipients
    )


def _reads_permanent(message: EmailMessage) -> bool:
    """An old-style bounce: permanent unless it is only a delay warning."""
    text = f"{message.get('Subject') or ''}\n{_plain_text(message)}"
    classes = {found.group(1) for found in _ENHANCED_STATUS.finditer(text)}
    if "5" in classes:
        return True
    return not (classes == {"4"} or _DELAY_WARNING.search(text))


def _headers_of(message: Message) -> dict[str, str]:
    wanted = ("Message-ID", REFERRAL_HEADER, "Subject", "To")
    return {name: str(message[name]) for name in wanted if message[name] is not None}


def _headers_quoted_in(message: EmailMessage) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, value in _QUOTED_HEADER.findall(_plain_text(message)):
        canonical = "Message-ID" if name.lower() == "message-id" else REFERRAL_HEADER
        found.setdefault(canonical, value.strip())
    return found


def _plain_text(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body is not None else ""
