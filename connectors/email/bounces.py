"""Delivery-status notifications: the referral mail never reached the clerk.

A standard bounce is ``multipart/report; report-type=delivery-status`` (RFC 3464) carrying a
per-recipient status and the returned message or its headers. Older servers send a plain mail
from MAILER-DAEMON with the original quoted; for those the returned headers are searched in
the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.parser import HeaderParser
from email.policy import default as default_policy
from typing import cast

from connectors.email.composing import REFERRAL_HEADER

_DAEMON_SENDER = re.compile(r"mailer-daemon|postmaster", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery status notification|returned mail|delivery failure|failure notice",
    re.IGNORECASE,
)
_QUOTED_HEADER = re.compile(
    r"^(Message-ID|X-Samad-Referral):\s*(.+)$", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True)
class Bounce:
    reason: str
    returned_headers: dict[str, str]  # Message-ID, X-Samad-Referral, Subject … of the lost mail


def is_bounce(message: EmailMessage) -> bool:
    if message.get_content_type() == "multipart/report":
        # A str but for an RFC 2231-encoded value, which the stubs allow and bounces never use.
        report_type = cast(str, message.get_param("report-type", ""))
        return report_type.lower() == "delivery-status"
    sender = str(message.get("From") or "") + str(message.get("Return-Path") or "")
    subject = str(message.get("Subject") or "")
    return bool(_DAEMON_SENDER.search(sender) and _BOUNCE_SUBJECT.search(subject))


def read_bounce(message: EmailMessage) -> Bounce:
    reasons: list[str] = []
    returned: dict[str, str] = {}
    for part in message.walk():
        content_type = part.get_content_type()
        if content_type in ("message/delivery-status", "message/global-delivery-status"):
            reasons.extend(_recipient_reasons(part))
        elif content_type in ("message/rfc822", "message/global"):
            # The payload of a message/rfc822 part is a list holding the one returned message.
            returned = returned or _headers_of(cast(list[Message], part.get_payload())[0])
        elif content_type in ("text/rfc822-headers", "text/global-headers"):
            # A part that is not multipart decodes to bytes.
            text = cast(bytes, part.get_payload(decode=True)).decode("utf-8", "replace")
            returned = returned or _headers_of(HeaderParser(policy=default_policy).parsestr(text))
    if not returned:
        returned = _headers_quoted_in(message)
    reason = "; ".join(reasons) or str(message.get("Subject") or "undeliverable")
    return Bounce(reason=reason, returned_headers=returned)


def _recipient_reasons(part: Message) -> list[str]:
    # The parser gives a delivery-status part as blocks of fields: the message's, then one per
    # recipient.
    reasons = []
    for block in cast(list[Message], part.get_payload())[1:]:
        if str(block.get("Action", "")).lower() not in ("failed", "delayed", ""):
            continue
        recipient = str(block.get("Final-Recipient", "")).partition(";")[2].strip()
        status = str(block.get("Status", "")).strip()
        diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
        reasons.append(" ".join(x for x in (recipient, status, diagnostic) if x))
    return reasons


def _headers_of(message: Message) -> dict[str, str]:
    wanted = ("Message-ID", REFERRAL_HEADER, "Subject", "To")
    return {name: str(message[name]) for name in wanted if message[name] is not None}


def _headers_quoted_in(message: EmailMessage) -> dict[str, str]:
    body = message.get_body(preferencelist=("plain",))
    text = str(body.get_content()) if body is not None else ""
    found: dict[str, str] = {}
    for name, value in _QUOTED_HEADER.findall(text):
        canonical = "Message-ID" if name.lower() == "message-id" else REFERRAL_HEADER
        found.setdefault(canonical, value.strip())
    return found
