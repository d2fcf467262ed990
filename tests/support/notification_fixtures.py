"""The citizen's SMS gateway and the hub's SMTP relay, as real servers, for every test run.

Both listen on the ports ``tests.support.notification_env`` put in the environment, so the API,
the worker processes and the tests all reach them. They start once per run (autouse): any test
that resolves a request makes the hub send the citizen a message.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from hub.sandbox.server import BackgroundServer
from hub.sandbox.sms import SmsGateway, create_app
from tests.support.notification_env import SMS_API_KEY

HOLD_LIMIT_SECONDS = 30.0  # a held answer goes after this, let go or not


@dataclass
class Outbox:
    """Every mail the relay accepted."""

    mails: list[EmailMessage] = field(default_factory=list)
    holds: dict[str, threading.Event] = field(default_factory=dict)  # address → answers let go
    _lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        message = BytesParser(policy=default_policy).parsebytes(envelope.content)  # type: ignore[arg-type]
        with self._lock:
            self.mails.append(message)  # type: ignore[arg-type]
        for address in envelope.rcpt_tos:
            await self._held(address)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        with self._lock:
            return [m for m in self.mails if address in str(m["To"])]

    def hold_answers_to(self, address: str) -> threading.Event:
        """Take mails to ``address`` as usual, but answer their DATA only once the returned
        event is set (or ``HOLD_LIMIT_SECONDS`` passed): the mail is in, its sender not told."""
        release = threading.Event()
        self.holds[address] = release
        return release

    async def _held(self, address: str) -> None:
        release = self.holds.get(address)
        deadline = time.monotonic() + HOLD_LIMIT_SECONDS
        while release is not None and not release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)


@dataclass
class NotificationSandboxes:
    sms: SmsGateway
    mail: Outbox


@pytest.fixture(scope="session", autouse=True)
def notification_sandboxes() -> Iterator[NotificationSandboxes]:
    gateway = SmsGateway(api_key=SMS_API_KEY)
    outbox = Outbox()
    port = urlsplit(os.environ["SAMAD_SMS_URL"]).port
    controller = Controller(outbox, hostname="127.0.0.1", port=int(os.environ["SAMAD_SMTP_PORT"]))
    controller.start()
    try:
        with BackgroundServer(create_app(gateway), port=port):
            yield NotificationSandboxes(gateway, outbox)
    finally:
        controller.stop()
