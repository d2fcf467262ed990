"""The email connector keeps the connector contract (hub.testing): an SMTP server receives the
referral mails, the agency's clerk replies into the hub's Maildir."""

from __future__ import annotations

import mailbox
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connectors.email.composing import REFERRAL_HEADER
from connectors.email.connector import EmailConnector
from hub.sandbox.mail.clerk import write_reply
from hub.testing import ConnectorContract
from hub.testing.agency import FailureKind
from tests.support.mailservers import (
    AGENCY_ADDRESS,
    SmtpServer,
    email_settings,
    maildir_replies,
    make_connector,
)


class MailAgency:
    """The agency's mailbox: what the SMTP server received, and the clerk's replies."""

    statuses = ("رؤیت شد", "در دست اقدام", "رسیدگی شد")
    silent_until_advanced = True  # a referral mail says nothing until the clerk answers it

    def __init__(self, smtp: SmtpServer, replies: Path) -> None:
        self.smtp, self.replies = smtp, replies
        self._answered: dict[str, int] = {}

    def advance(self, external_id: str) -> None:
        mail = next(m for m in self.smtp.messages if m["Message-ID"] == external_id)
        step = self._answered.get(external_id, 0)
        self._answered[external_id] = step + 1
        reply = write_reply(mail, AGENCY_ADDRESS, f"وضعیت: {self.statuses[step]}\nبا احترام")
        mailbox.Maildir(self.replies, create=True).add(reply.as_bytes())

    def cases_for(self, reference: str) -> int:
        ids = {m["Message-ID"] for m in self.smtp.messages if m[REFERRAL_HEADER] == reference}
        return len(ids)

    @contextmanager
    def failing(self, kind: FailureKind) -> Iterator[None]:
        answer = "451 4.3.0 try again later" if kind == "transient" else "550 5.1.1 no mailbox"
        self.smtp.refuse[AGENCY_ADDRESS] = answer
        try:
            yield
        finally:
            del self.smtp.refuse[AGENCY_ADDRESS]


class TestEmailConnectorContract(ConnectorContract):
    poll_cannot_fail = (
        "replies come from a local Maildir here; IMAP failures are checked in "
        "test_email_imap_and_tls.py against a real Dovecot"
    )

    @pytest.fixture
    def agency(self, smtp_server: SmtpServer, tmp_path: Path) -> MailAgency:
        return MailAgency(smtp_server, tmp_path / "replies")

    @pytest.fixture
    def connector(self, agency: MailAgency, tmp_path: Path) -> Iterator[EmailConnector]:
        settings = email_settings(agency.smtp.port, maildir_replies(agency.replies))
        connector = make_connector(settings, tmp_path)
        yield connector
        connector.close()
