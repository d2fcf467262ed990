"""Fixtures of the email connector's tests: certificates, SMTP servers, one private Dovecot."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.mailservers import Certificates, Dovecot, SmtpServer, create_mailbox

IMAP_USER, IMAP_PASSWORD = "hub", "hub-secret"


@pytest.fixture(scope="session")
def mail_certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return Certificates(tmp_path_factory.mktemp("mail-tls"))


@pytest.fixture(scope="session")
def dovecot(mail_certificates: Certificates) -> Iterator[Dovecot]:
    server = Dovecot(mail_certificates, {IMAP_USER: IMAP_PASSWORD}).start()
    yield server
    server.remove()


@pytest.fixture
def imap_mailbox(dovecot: Dovecot) -> str:
    """A fresh mailbox of the hub's IMAP account for one test: tests never see each other's mail."""
    name = f"replies-{uuid.uuid4().hex[:8]}"
    create_mailbox(dovecot, IMAP_USER, IMAP_PASSWORD, name)
    return name


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def reply_maildir(tmp_path: Path) -> Path:
    return tmp_path / "replies"
