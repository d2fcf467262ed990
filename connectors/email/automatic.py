"""Mails no person wrote: out-of-office answers, vacation responders, read receipts.

They often answer a referral mail in its thread, and an out-of-office text may even start with
words that look like a status, so they are recognised by their headers before anything is read:
``Auto-Submitted`` other than ``no`` (RFC 3834), ``X-Autoreply`` / ``X-Autorespond`` (older
responders), ``Precedence: auto_reply|bulk|junk``, and reports other than bounces (a read
receipt is ``multipart/report; report-type=disposition-notification``). Bounces are
:mod:`connectors.email.bounces`, read before this.
"""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import collapse_rfc2231_value

_AUTOMATIC_PRECEDENCE = frozenset({"auto_reply", "bulk", "junk"})
_NOT_SET = frozenset({"", "no", "false", "0"})


def automatic_because(message: EmailMessage) -> str | None:
    """The header that says no person wrote this mail, as it reads; ``None`` for a person's."""
    auto_submitted = _value(message, "Auto-Submitted")
    if auto_submitted.partition(";")[0].strip() not in _NOT_SET:
        return f"Auto-Submitted: {auto_submitted}"
    for name in ("X-Autoreply", "X-Autorespond"):
        if message[name] is not None and _value(message, name) not in _NOT_SET:
            return f"{name}: {_value(message, name)}"
    if _value(message, "Precedence") in _AUTOMATIC_PRECEDENCE:
        return f"Precedence: {_value(message, 'Precedence')}"
    if message.get_content_type() == "multipart/report":
        report_type = collapse_rfc2231_value(message.get_param("report-type", ""))
        return f"Content-Type: multipart/report; report-type={report_type}"
    return None


def _value(message: EmailMessage, name: str) -> str:
    return " ".join(str(message[name] or "").split()).lower()
