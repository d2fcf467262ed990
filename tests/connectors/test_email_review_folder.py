"""The email connector hands the hub each mail whole, and files the ones held for review apart.

A reply the connector cannot read (or that names no referral) is acknowledged into the
"Needs review" folder — flagged, unread — and never into the processed one; a reply it read goes
where it always went. On a Maildir and on a real Dovecot.
"""

from __future__ import annotations

import base64
import mailbox
import time
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

from connectors.email.connector import EmailConnector
from connectors.email.settings import ImapSource, MaildirSource
from hub.plugins.connector import AgencyUpdate, Receipt, UpdateKind
from hub.sandbox.mail import ImapAppend, MaildirDrop
from hub.sandbox.mail.clerk import write_reply
from tests.connectors.conftest import IMAP_PASSWORD, IMAP_USER
from tests.support.mailservers import (
    AGENCY_ADDRESS,
    Dovecot,
    SmtpServer,
    email_settings,
    imap_replies,
    mailbox_flags,
    maildir_replies,
    make_connector,
    referral,
)


def _poll(connector: EmailConnector, receipts: Sequence[Receipt], count: int) -> list[AgencyUpdate]:
    deadline = time.monotonic() + 5
    while len(updates := connector.poll(receipts)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return updates


def _replies_to(connector: EmailConnector, smtp: SmtpServer) -> tuple[Receipt, EmailMessage]:
    receipt = connector.push(referral())
    return receipt, smtp.messages[-1]


def test_an_unreadable_reply_goes_to_needs_review_and_a_read_one_to_processed_on_a_maildir(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    maildir = tmp_path / "replies"
    replies = {**maildir_replies(maildir), "processed_folder": "processed"}
    connector = make_connector(email_settings(smtp_server.port, replies), tmp_path)
    receipt, sent = _replies_to(connector, smtp_server)
    unreadable = write_reply(sent, AGENCY_ADDRESS, "سلام، رسید. بررسی می‌کنیم.")
    readable = write_reply(sent, AGENCY_ADDRESS, "وضعیت: رسیدگی شد\nانجام شد")
    for mail in (unreadable, readable):
        MaildirDrop(maildir).deliver(mail)

    updates = _poll(connector, [receipt], 2)
    connector.acknowledge(updates)
    box = mailbox.Maildir(maildir, factory=None)
    [held] = box.get_folder("Needs review").values()
    [done] = box.get_folder("processed").values()

    kinds = {u.update_id: u.kind for u in updates}
    assert kinds[str(unreadable["Message-ID"])] is UpdateKind.UNMATCHED
    assert str(held["Message-ID"]).strip() == unreadable["Message-ID"]
    assert str(done["Message-ID"]).strip() == readable["Message-ID"]
    assert held.get_flags() == "F"  # flagged, not seen: a person opening the folder sees it
    assert "S" in done.get_flags()
    assert len(box) == 0 and connector.poll([receipt]) == []
    for update in updates:
        assert base64.b64decode(update.raw["rfc822"]) in (
            unreadable.as_bytes(),
            readable.as_bytes(),
        )


def test_without_a_review_folder_the_mail_is_flagged_where_it_is(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    maildir = tmp_path / "replies"
    replies = {**maildir_replies(maildir), "review_folder": ""}
    connector = make_connector(email_settings(smtp_server.port, replies), tmp_path)
    _, sent = _replies_to(connector, smtp_server)
    MaildirDrop(maildir).deliver(write_reply(sent, AGENCY_ADDRESS, "no status here"))

    connector.acknowledge(_poll(connector, [], 1))
    [kept] = mailbox.Maildir(maildir, factory=None).values()

    assert sorted(kept.get_flags()) == ["F", "S"]
    assert connector.poll([]) == []


def test_an_unreadable_reply_and_a_stray_mail_go_to_needs_review_on_imap(
    dovecot: Dovecot, imap_mailbox: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    review = f"{imap_mailbox}-review"  # this test's own; the default is "Needs review"
    replies = imap_replies(
        dovecot,
        IMAP_USER,
        IMAP_PASSWORD,
        imap_mailbox,
        processed_mailbox=f"{imap_mailbox}-done",
        review_mailbox=review,
    )
    connector = make_connector(email_settings(smtp_server.port, replies), tmp_path)
    receipt, sent = _replies_to(connector, smtp_server)
    stray = EmailMessage()
    stray["From"] = "someone@example.org"
    stray["Subject"] = "سلام"
    stray["Message-ID"] = "<stray-review@example.org>"
    stray.set_content("این نامه به ارجاعی مربوط نیست.")
    delivery = ImapAppend(
        "127.0.0.1",
        dovecot.imaps_port,
        IMAP_USER,
        IMAP_PASSWORD,
        mailbox=imap_mailbox,
        ssl_context=dovecot.certificates.client_context(),
    )
    for mail in (write_reply(sent, AGENCY_ADDRESS, "STATUS: VIEWED"), stray):
        delivery.deliver(mail)

    connector.acknowledge(_poll(connector, [receipt], 2))
    again = connector.poll([receipt])
    connector.close()

    assert mailbox_flags(dovecot, IMAP_USER, IMAP_PASSWORD, imap_mailbox) == []
    [held] = mailbox_flags(dovecot, IMAP_USER, IMAP_PASSWORD, review)
    [done] = mailbox_flags(dovecot, IMAP_USER, IMAP_PASSWORD, f"{imap_mailbox}-done")
    assert "\\Flagged" in held and "$SamadNeedsReview" in held and "\\Seen" not in held
    assert "\\Seen" in done and "$SamadNeedsReview" not in done
    assert again == []


def test_the_review_folder_is_needs_review_unless_the_agreement_says_otherwise(
    tmp_path: Path,
) -> None:
    imap = {"source": "imap", "host": "127.0.0.1", "port": 1, "username": "u", "password": "p"}
    on_imap = make_connector(email_settings(25, imap), tmp_path).email.replies
    on_maildir = make_connector(email_settings(25, maildir_replies(tmp_path)), tmp_path)
    renamed = make_connector(email_settings(25, {**imap, "review_mailbox": "بررسی"}), tmp_path)

    assert isinstance(on_imap, ImapSource) and on_imap.review_mailbox == "Needs review"
    assert isinstance(on_maildir.email.replies, MaildirSource)
    assert on_maildir.email.replies.review_folder == "Needs review"
    assert renamed.email.replies.review_mailbox == "بررسی"  # type: ignore[union-attr]
