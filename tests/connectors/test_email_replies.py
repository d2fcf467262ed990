"""Reading the agency's replies from the hub's Maildir: matching, the reply convention, bounces."""

from __future__ import annotations

import mailbox
import time
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

from connectors.email.connector import EmailConnector
from hub.plugins.connector import AgencyUpdate, Receipt, UpdateKind
from hub.sandbox.mail import ClerkAnswer, MailAgencySandbox, MaildirDrop
from hub.sandbox.mail.clerk import write_reply
from tests.support.mailservers import (
    AGENCY_ADDRESS,
    email_settings,
    maildir_replies,
    make_connector,
    referral,
)


def wait_for_updates(
    connector: EmailConnector, receipts: Sequence[Receipt], count: int = 1, timeout: float = 5
) -> list[AgencyUpdate]:
    deadline = time.monotonic() + timeout
    while True:
        updates = connector.poll(receipts)
        if len(updates) >= count or time.monotonic() > deadline:
            return updates
        time.sleep(0.05)


def referral_and_reply(
    tmp_path: Path, *script: ClerkAnswer, referrals: int = 1
) -> tuple[EmailConnector, list[Receipt], MailAgencySandbox]:
    """Push referrals to the sandbox agency, whose clerk replies into the hub's Maildir."""
    maildir = tmp_path / "replies"
    agency = MailAgencySandbox(maildir=maildir, reply_delay=0.01, script=script).start()
    connector = make_connector(email_settings(agency.port, maildir_replies(maildir)), tmp_path)
    receipts = [connector.push(referral(100 + n)) for n in range(referrals)]
    return connector, receipts, agency


def test_a_persian_reply_becomes_the_agencys_status_and_the_result(tmp_path: Path) -> None:
    answer = ClerkAnswer("وضعیت: رسیدگي شد", "زباله‌ها جمع‌آوری شد.\nبا سپاس")  # Arabic ي
    connector, [receipt], agency = referral_and_reply(tmp_path, answer)

    [update] = wait_for_updates(connector, [receipt])
    agency.stop()

    assert update.kind is UpdateKind.STATUS
    assert update.status == "رسیدگی شد"  # as the agreement's status_map spells it
    assert update.result == "زباله‌ها جمع‌آوری شد.\nبا سپاس"  # the quoted referral is left out
    assert update.external_id == receipt.external_id
    assert update.referral_reference == "R-1404-0000100-1"
    assert update.update_id == agency.replied[0]["Message-ID"]


def test_an_english_status_matches_whatever_its_case(tmp_path: Path) -> None:
    connector, [receipt], agency = referral_and_reply(
        tmp_path, ClerkAnswer("Status: resolved.", "Done.")
    )

    [update] = wait_for_updates(connector, [receipt])
    agency.stop()

    assert (update.kind, update.status, update.result) == (UpdateKind.STATUS, "RESOLVED", "Done.")


def test_a_reply_without_a_status_line_is_kept_for_triage_with_the_reason(tmp_path: Path) -> None:
    connector, [receipt], agency = referral_and_reply(
        tmp_path, ClerkAnswer("سلام، پیگیری می‌کنیم.", "کارشناس بررسی می‌کند.")
    )

    [update] = wait_for_updates(connector, [receipt])
    agency.stop()

    assert update.kind is UpdateKind.UNMATCHED
    assert "STATUS" in (update.note or "") and "سلام، پیگیری می‌کنیم." in (update.note or "")
    assert update.external_id == receipt.external_id  # triage still sees whose reply it is


def test_a_status_the_agreement_does_not_know_is_kept_for_triage(tmp_path: Path) -> None:
    connector, [receipt], agency = referral_and_reply(tmp_path, ClerkAnswer("وضعیت: نمی‌دانم"))

    [update] = wait_for_updates(connector, [receipt])
    agency.stop()

    assert update.kind is UpdateKind.UNMATCHED
    assert "نمی‌دانم" in (update.note or "") and "رسیدگی شد" in (update.note or "")


def test_a_mail_that_answers_no_referral_is_kept_as_unmatched(tmp_path: Path) -> None:
    connector = make_connector(email_settings(25, maildir_replies(tmp_path / "m")), tmp_path)
    stray = EmailMessage()
    stray["From"] = "citizen@example.org"
    stray["Subject"] = "سلام"
    stray["Message-ID"] = "<stray-1@example.org>"
    stray.set_content("وضعیت: رسیدگی شد\nاین نامه به ارجاعی مربوط نیست.")
    MaildirDrop(tmp_path / "m").deliver(stray)

    [update] = connector.poll([])

    assert update.kind is UpdateKind.UNMATCHED
    assert update.update_id == "<stray-1@example.org>"
    assert "no referral" in (update.note or "")


def test_a_fresh_mail_quoting_the_reference_in_persian_digits_is_matched(tmp_path: Path) -> None:
    connector = make_connector(email_settings(25, maildir_replies(tmp_path / "m")), tmp_path)
    receipt = Receipt(123, "<samad.abc@golestan111.test>", {"reference": "R-1404-0000123-1"})
    fresh = EmailMessage()
    fresh["From"] = AGENCY_ADDRESS
    fresh["Subject"] = "پاسخ ارجاع R-۱۴۰۴-۰۰۰۰۱۲۳-۱"
    fresh["Message-ID"] = "<fresh-1@gorgan-municipality.sandbox>"
    fresh.set_content("وضعیت: در دست اقدام\nاکیپ اعزام شد.")
    MaildirDrop(tmp_path / "m").deliver(fresh)

    [update] = connector.poll([receipt])

    assert (update.kind, update.status) == (UpdateKind.STATUS, "در دست اقدام")
    assert update.referral_reference == "R-1404-0000123-1"
    assert update.external_id == receipt.external_id


def test_nothing_is_marked_until_acknowledged_and_then_it_is_not_read_again(
    tmp_path: Path,
) -> None:
    connector, receipts, agency = referral_and_reply(tmp_path, ClerkAnswer("STATUS: VIEWED"))

    first = wait_for_updates(connector, receipts)
    again = connector.poll(receipts)  # the core crashed before storing: nothing may be lost
    connector.acknowledge(first)
    after = connector.poll(receipts)
    agency.stop()

    assert [u.update_id for u in again] == [u.update_id for u in first]
    assert after == []
    [stored] = mailbox.Maildir(tmp_path / "replies", factory=None).values()
    assert "S" in stored.get_flags()


def test_acknowledged_replies_move_to_the_processed_folder(tmp_path: Path) -> None:
    maildir = tmp_path / "replies"
    agency = MailAgencySandbox(
        maildir=maildir, reply_delay=0.01, script=(ClerkAnswer("STATUS: VIEWED"),)
    ).start()
    replies = {**maildir_replies(maildir), "processed_folder": "processed"}
    connector = make_connector(email_settings(agency.port, replies), tmp_path)
    receipts = [connector.push(referral())]

    connector.acknowledge(wait_for_updates(connector, receipts))
    agency.stop()

    box = mailbox.Maildir(maildir, factory=None)
    assert len(box) == 0
    assert len(box.get_folder("processed")) == 1


def test_a_reply_delivered_twice_is_one_update_and_both_copies_are_acknowledged(
    tmp_path: Path,
) -> None:
    connector, receipts, agency = referral_and_reply(tmp_path, ClerkAnswer("STATUS: RESOLVED"))
    wait_for_updates(connector, receipts)
    MaildirDrop(tmp_path / "replies").deliver(agency.replied[0])  # the agency's server resent it

    updates = connector.poll(receipts)
    connector.acknowledge(updates)
    agency.stop()

    assert len(updates) == 1
    assert connector.poll(receipts) == []


def test_the_clerks_script_answers_in_turn_and_late(tmp_path: Path) -> None:
    connector, receipts, agency = referral_and_reply(
        tmp_path,
        ClerkAnswer("وضعیت: رؤیت شد"),
        ClerkAnswer(None),
        ClerkAnswer("STATUS: RESOLVED", delay_factor=30),
        referrals=3,
    )

    early = wait_for_updates(connector, receipts, count=1)
    time.sleep(0.1)
    still_early = connector.poll(receipts)
    late = wait_for_updates(connector, receipts, count=2)
    agency.stop()

    assert [u.status for u in early] == ["رؤیت شد"] == [u.status for u in still_early]
    assert sorted(str(u.status) for u in late) == ["RESOLVED", "رؤیت شد"]
    assert {u.external_id for u in late} == {receipts[0].external_id, receipts[2].external_id}


DSN = """\
From: MAILER-DAEMON@mx.gorgan-municipality.sandbox
To: samad@golestan111.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.gorgan-municipality.sandbox>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain; charset=us-ascii

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.gorgan-municipality.sandbox

Final-Recipient: rfc822; dabirkhaneh@gorgan-municipality.sandbox
Action: failed
Status: 5.2.2
Diagnostic-Code: smtp; 552 5.2.2 mailbox full

--B
Content-Type: text/rfc822-headers

From: samad@golestan111.test
To: dabirkhaneh@gorgan-municipality.sandbox
Subject: =?utf-8?b?2KfYsdis2KfYuQ==?= [R-1404-0000123-1]
Message-ID: {message_id}
X-Samad-Referral: R-1404-0000123-1

--B--
"""


def test_a_bounce_names_the_referral_and_why_it_was_not_delivered(tmp_path: Path) -> None:
    maildir = tmp_path / "m"
    connector = make_connector(email_settings(25, maildir_replies(maildir)), tmp_path)
    message_id = str(connector.compose(referral())["Message-ID"])
    mailbox.Maildir(maildir, factory=None, create=True).add(
        DSN.format(message_id=message_id).encode()
    )

    [update] = connector.poll([])

    assert update.kind is UpdateKind.BOUNCE
    assert update.external_id == message_id
    assert update.referral_reference == "R-1404-0000123-1"
    assert "mailbox full" in (update.note or "") and "5.2.2" in (update.note or "")


def test_an_old_style_bounce_is_read_from_the_quoted_headers(tmp_path: Path) -> None:
    maildir = tmp_path / "m"
    connector = make_connector(email_settings(25, maildir_replies(maildir)), tmp_path)
    lost = connector.compose(referral())
    bounce = EmailMessage()
    bounce["From"] = "Mail Delivery System <MAILER-DAEMON@old-mx.sandbox>"
    bounce["Subject"] = "failure notice"
    bounce["Message-ID"] = "<bounce-2@old-mx.sandbox>"
    bounce.set_content(f"Sorry, no mailbox here by that name.\n\n--- original ---\n{lost}")
    MaildirDrop(maildir).deliver(bounce)

    [update] = connector.poll([])

    assert update.kind is UpdateKind.BOUNCE
    assert update.external_id == lost["Message-ID"]
    assert update.referral_reference == "R-1404-0000123-1"


def test_a_clerks_reply_is_not_taken_for_a_bounce(tmp_path: Path) -> None:
    connector = make_connector(email_settings(25, maildir_replies(tmp_path / "m")), tmp_path)
    lost = connector.compose(referral())
    reply = write_reply(lost, AGENCY_ADDRESS, "STATUS: RESOLVED\nfixed")
    MaildirDrop(tmp_path / "m").deliver(reply)

    [update] = connector.poll([])

    assert (update.kind, update.status) == (UpdateKind.STATUS, "RESOLVED")
