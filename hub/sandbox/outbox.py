"""An SMTP relay sandbox that keeps every mail it is given (aiosmtpd on a loopback port).

``with SmtpOutbox() as outbox: …`` — point ``SAMAD_SMTP_HOST``/``SAMAD_SMTP_PORT`` at
``outbox.port``; ``outbox.mails`` are the parsed messages, ``outbox.to(address)`` those for one.
"""

from __future__ import annotations

import logging
import threading
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from hub.sandbox.server import free_port


class SmtpOutbox:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.mails: list[EmailMessage] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd chats at INFO

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        message = BytesParser(policy=default_policy).parsebytes(raw)
        with self._lock:
            self.mails.append(message)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.mails if address in str(m["To"])]

    def __enter__(self) -> SmtpOutbox:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()
