"""Where the sandbox clerk's replies land: the hub's Maildir, or its IMAP mailbox by APPEND."""

from __future__ import annotations

import imaplib
import mailbox
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol


class ReplyDelivery(Protocol):
    def deliver(self, message: EmailMessage) -> None: ...


@dataclass
class MaildirDrop:
    """Deliver like a local MDA: into ``new/`` of a Maildir (created when missing)."""

    path: Path

    def deliver(self, message: EmailMessage) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(self.path, factory=None, create=True).add(message.as_bytes())


@dataclass
class ImapAppend:
    """APPEND into an IMAP mailbox, over implicit TLS when ``ssl_context`` is given."""

    host: str
    port: int
    username: str
    password: str
    mailbox: str = "INBOX"
    ssl_context: ssl.SSLContext | None = None
    timeout: float = 10.0

    def deliver(self, message: EmailMessage) -> None:
        if self.ssl_context is not None:
            session: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                self.host, self.port, ssl_context=self.ssl_context, timeout=self.timeout
            )
        else:
            session = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        try:
            session.login(self.username, self.password)
            status, data = session.append(
                self.mailbox, "", imaplib.Time2Internaldate(time.time()), message.as_bytes()
            )
            if status != "OK":
                raise imaplib.IMAP4.error(f"APPEND refused: {data!r}")
        finally:
            session.logout()
