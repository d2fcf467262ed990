"""The sandbox agency's SMTP server: receives referral mails and has the clerk answer them.

It can also be told to lose its answer to the next mails after it has taken them
(:meth:`MailAgencySandbox.lose_answers`): ``drop`` closes the connection before the final ``250``
of DATA — the mail is delivered and the sender cannot know it — and ``tempfail`` keeps the mail
and still answers ``451`` ("try again later"), as a relay whose after-queue filter timed out does.
"""

from __future__ import annotations

import logging
import ssl
import threading
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any, Literal

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from hub.sandbox.mail.clerk import DEFAULT_SCRIPT, Clerk, ClerkAnswer
from hub.sandbox.mail.delivery import MaildirDrop, ReplyDelivery
from hub.sandbox.server import free_port

log = logging.getLogger(__name__)
LostAnswer = Literal["drop", "tempfail"]
TEMPFAIL = "451 4.3.0 Temporary local problem, please try again later"
REFERRAL_HEADER = "X-Samad-Referral"  # where the hub names the referral a mail carries


class MailAgencySandbox:
    """``sandbox = MailAgencySandbox(maildir=path, reply_delay=2).start()``; ``sandbox.port``."""

    def __init__(
        self,
        maildir: Path | str | None = None,
        *,
        delivery: ReplyDelivery | None = None,
        reply_delay: float = 1.0,
        port: int | None = None,
        host: str = "127.0.0.1",
        address: str = "dabirkhaneh@gorgan-municipality.sandbox",
        script: tuple[ClerkAnswer, ...] = DEFAULT_SCRIPT,
        tls_context: ssl.SSLContext | None = None,
        implicit_tls: bool = False,
    ) -> None:
        if delivery is None:
            if maildir is None:
                raise ValueError("give the hub's reply Maildir or another delivery")
            delivery = MaildirDrop(Path(maildir))
        self.host = host
        self.port = port or free_port()
        self.reply_delay = reply_delay
        self.received: list[EmailMessage] = []  # every referral mail, duplicates included
        self.replied: list[EmailMessage] = []
        self.reminders: list[EmailMessage] = []  # mails in a referral's thread (In-Reply-To)
        self._delivery = delivery
        self._clerk = Clerk(address, script)
        self._seen_ids: set[str] = set()
        self._lost: tuple[LostAnswer, int] | None = None
        self._timers: list[threading.Timer] = []
        self._lock = threading.Lock()
        smtp_options: dict[str, Any] = {"server_hostname": "agency.sandbox"}
        if tls_context is not None and implicit_tls:
            smtp_options["ssl_context"] = tls_context
        elif tls_context is not None:
            smtp_options.update(tls_context=tls_context, require_starttls=True)
        self._controller = Controller(_Handler(self), hostname=host, port=self.port, **smtp_options)

    def start(self) -> MailAgencySandbox:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
        with self._lock:
            for timer in self._timers:
                timer.cancel()

    def __enter__(self) -> MailAgencySandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def lose_answers(self, kind: LostAnswer, times: int = 1) -> None:
        """Take the next ``times`` mails, then lose the answer to each as ``kind`` says."""
        with self._lock:
            self._lost = (kind, times)

    def take_lost_answer(self) -> LostAnswer | None:
        """How the answer to the mail just taken is lost, if it is (and count it down)."""
        with self._lock:
            if self._lost is None:
                return None
            kind, left = self._lost
            self._lost = (kind, left - 1) if left > 1 else None
            return kind

    def mails_for(self, reference: str) -> list[EmailMessage]:
        """Every copy of the referral mails that arrived for one referral (its reference in the
        hub's ``X-Samad-Referral`` header), oldest first."""
        with self._lock:
            return [m for m in self.received if str(m[REFERRAL_HEADER] or "") == reference]

    @property
    def distinct_referrals(self) -> int:
        return len(self._seen_ids)

    def take(self, raw: bytes) -> None:
        """One mail arrived: a new referral gets the clerk's next answer; a repeat or a reminder in
        a referral's thread, nothing."""
        message = BytesParser(policy=default_policy).parsebytes(raw)
        message_id = str(message["Message-ID"] or "")
        with self._lock:
            if message["In-Reply-To"]:  # a reminder about a referral the clerk already has
                self.reminders.append(message)
                return
            self.received.append(message)
            if message_id and message_id in self._seen_ids:
                return  # the same referral mail again (a retried send): the clerk saw it already
            self._seen_ids.add(message_id)
            answer, reply = self._clerk.answer_for(message)
            if reply is None:
                return
            timer = threading.Timer(self.reply_delay * answer.delay_factor, self._send, [reply])
            timer.daemon = True
            self._timers.append(timer)
        timer.start()

    def _send(self, reply: EmailMessage) -> None:
        try:
            self._delivery.deliver(reply)
        except Exception:  # a sandbox thread: log and go on, like a clerk's flaky mail program
            log.exception("the sandbox clerk could not deliver a reply")
            return
        with self._lock:
            self.replied.append(reply)


class _Handler:
    def __init__(self, sandbox: MailAgencySandbox) -> None:
        self._sandbox = sandbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert content is not None  # aiosmtpd has read the message before it calls handle_DATA
        self._sandbox.take(content if isinstance(content, bytes) else content.encode())
        lost = self._sandbox.take_lost_answer()
        if lost == "drop" and server.transport is not None:
            server.transport.close()  # taken, and the client never hears so
            return "250 never seen by the client"
        if lost == "tempfail":
            return TEMPFAIL
        return "250 Message accepted for delivery"
