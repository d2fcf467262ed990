"""Replies over IMAP from a private Dovecot, and TLS (STARTTLS and implicit) on SMTP and IMAP."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from connectors.email.connector import EmailConnector
from hub.core.errors import ConnectorError, ConnectorRefused
from hub.plugins.connector import AgencyUpdate, Receipt, UpdateKind
from hub.sandbox.mail import ClerkAnswer, ImapAppend, MailAgencySandbox
from tests.connectors.conftest import IMAP_PASSWORD, IMAP_USER
from tests.support.mailservers import (
    Certificates,
    Dovecot,
    SmtpServer,
    email_settings,
    imap_replies,
    mailbox_flags,
    maildir_replies,
    make_connector,
    referral,
)


def wait_for_updates(
    connector: EmailConnector, receipts: Sequence[Receipt], timeout: float = 5
) -> list[AgencyUpdate]:
    deadline = time.monotonic() + timeout
    while not (updates := connector.poll(receipts)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return updates


def agency_replying_by_imap(
    dovecot: Dovecot, mailbox: str, *script: ClerkAnswer
) -> MailAgencySandbox:
    delivery = ImapAppend(
        "127.0.0.1",
        dovecot.imaps_port,
        IMAP_USER,
        IMAP_PASSWORD,
        mailbox=mailbox,
        ssl_context=dovecot.certificates.client_context(),
    )
    return MailAgencySandbox(delivery=delivery, reply_delay=0.01, script=script).start()


def test_a_reply_arrives_by_imap_and_is_flagged_only_once_acknowledged(
    dovecot: Dovecot, imap_mailbox: str, tmp_path: Path
) -> None:
    agency = agency_replying_by_imap(
        dovecot, imap_mailbox, ClerkAnswer("وضعیت: رسیدگی شد", "انجام شد")
    )
    replies = imap_replies(dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox)
    connector = make_connector(email_settings(agency.port, replies), tmp_path)
    receipt = connector.push(referral())

    [update] = wait_for_updates(connector, [receipt])
    flags_before = mailbox_flags(dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox)
    connector.acknowledge([update])
    flags_after = mailbox_flags(dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox)
    again = connector.poll([receipt])
    connector.close()
    agency.stop()

    assert (update.status, update.result) == ("رسیدگی شد", "انجام شد")
    assert update.external_id == receipt.external_id
    assert "\\Seen" not in flags_before[0] and "$SamadProcessed" not in flags_before[0]
    assert "\\Seen" in flags_after[0] and "$SamadProcessed" in flags_after[0]
    assert again == []


def test_acknowledged_replies_move_to_the_processed_mailbox(
    dovecot: Dovecot, imap_mailbox: str, tmp_path: Path
) -> None:
    agency = agency_replying_by_imap(dovecot, imap_mailbox, ClerkAnswer("STATUS: VIEWED"))
    replies = imap_replies(
        dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox, processed_mailbox=f"{imap_mailbox}-done"
    )
    connector = make_connector(email_settings(agency.port, replies), tmp_path)
    receipt = connector.push(referral())

    connector.acknowledge(wait_for_updates(connector, [receipt]))
    connector.close()
    agency.stop()

    assert mailbox_flags(dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox) == []
    [moved] = mailbox_flags(dovecot, IMAP_USER, IMAP_PASSWORD, f"{imap_mailbox}-done")
    assert "$SamadProcessed" in moved


def test_it_reconnects_after_the_imap_server_restarts(
    dovecot: Dovecot, imap_mailbox: str, tmp_path: Path
) -> None:
    agency = agency_replying_by_imap(dovecot, imap_mailbox, ClerkAnswer("STATUS: RESOLVED"))
    replies = imap_replies(dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox)
    connector = make_connector(email_settings(agency.port, replies), tmp_path)
    assert connector.poll([]) == []  # the session is open now

    dovecot.restart()
    receipt = connector.push(referral())
    updates = wait_for_updates(connector, [receipt])
    connector.acknowledge(updates)
    connector.close()
    agency.stop()

    assert [u.status for u in updates] == ["RESOLVED"]
    assert "$SamadProcessed" in mailbox_flags(dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox)[0]


def test_an_imap_server_that_is_down_is_a_transient_error(
    dovecot: Dovecot, imap_mailbox: str, tmp_path: Path
) -> None:
    replies = imap_replies(dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox, port=1)
    connector = make_connector(email_settings(25, replies), tmp_path)

    with pytest.raises(ConnectorError) as failure:
        connector.poll([])
    assert failure.value.permanent is False
    assert not connector.check().ok


def test_imap_with_starttls_reads_the_same_mailbox(
    dovecot: Dovecot, imap_mailbox: str, tmp_path: Path
) -> None:
    agency = agency_replying_by_imap(dovecot, imap_mailbox, ClerkAnswer("STATUS: VIEWED"))
    replies = imap_replies(
        dovecot,
        IMAP_USER,
        IMAP_PASSWORD,
        imap_mailbox,
        port=dovecot.imap_port,
        security="starttls",
    )
    connector = make_connector(email_settings(agency.port, replies), tmp_path)
    receipt = connector.push(referral())

    updates = wait_for_updates(connector, [receipt])
    health = connector.check()
    connector.close()
    agency.stop()

    assert [u.kind for u in updates] == [UpdateKind.STATUS]
    assert health.ok, health.problems


def test_an_imap_certificate_the_hub_does_not_trust_is_a_permanent_error(
    dovecot: Dovecot, imap_mailbox: str, tmp_path: Path
) -> None:
    replies = imap_replies(dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox)
    del replies["ca_file"]
    connector = make_connector(email_settings(25, replies), tmp_path)

    with pytest.raises(ConnectorError, match="TLS") as failure:
        connector.poll([])
    assert failure.value.permanent is True


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_it_sends_over_tls_and_logs_in(
    security: str, mail_certificates: Certificates, tmp_path: Path
) -> None:
    server = SmtpServer(mail_certificates, security=security, login=("samad", "s3cret")).start()
    smtp = {
        "host": "127.0.0.1",
        "port": server.port,
        "security": security,
        "username": "samad",
        "password": "s3cret",
        "ca_file": str(mail_certificates.ca_file),
        "timeout_seconds": 5,
    }
    connector = make_connector(
        email_settings(server.port, maildir_replies(tmp_path / "m"), smtp=smtp), tmp_path
    )

    receipt = connector.push(referral())
    health = connector.check()
    server.stop()

    assert server.logins == ["samad", "samad"]
    assert server.messages[0]["Message-ID"] == receipt.external_id
    assert health.ok, health.problems


def test_a_wrong_smtp_password_is_refused_for_good(
    mail_certificates: Certificates, tmp_path: Path
) -> None:
    server = SmtpServer(mail_certificates, security="starttls", login=("samad", "s3cret")).start()
    smtp = {
        "host": "127.0.0.1",
        "port": server.port,
        "username": "samad",
        "password": "wrong",
        "ca_file": str(mail_certificates.ca_file),
        "timeout_seconds": 5,
    }
    connector = make_connector(
        email_settings(server.port, maildir_replies(tmp_path / "m"), smtp=smtp), tmp_path
    )

    with pytest.raises(ConnectorRefused, match="535"):
        connector.push(referral())
    server.stop()
    assert server.messages == []


def test_an_smtp_certificate_the_hub_does_not_trust_is_a_permanent_error(
    mail_certificates: Certificates, tmp_path: Path
) -> None:
    server = SmtpServer(mail_certificates, security="tls").start()
    smtp = {"host": "127.0.0.1", "port": server.port, "security": "tls", "timeout_seconds": 5}
    connector = make_connector(
        email_settings(server.port, maildir_replies(tmp_path / "m"), smtp=smtp), tmp_path
    )

    with pytest.raises(ConnectorError, match="TLS") as failure:
        connector.push(referral())
    server.stop()
    assert failure.value.permanent is True
    assert server.messages == []
