"""Reminders by email: a Persian RTL mail in the referral's own thread, received by the email
agency sandbox (which files it with the case and does not answer it as a new referral)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from connectors.email.connector import EmailConnector
from hub.plugins.connector import Receipt, Reminder, ReminderKind, UpdateKind
from hub.sandbox.mail import MailAgencySandbox
from hub.sandbox.mail.clerk import write_reply
from hub.sandbox.mail.delivery import MaildirDrop
from tests.support.mailservers import (
    AGENCY_ADDRESS,
    email_settings,
    maildir_replies,
    make_connector,
    referral,
)

VIEW_DUE = datetime(2025, 10, 7, 7, 0, tzinfo=UTC)  # the referral's view deadline


def a_reminder(receipt: Receipt, key: str = "step:5:remind_agency:connector") -> Reminder:
    return Reminder(
        key=key,
        kind=ReminderKind.DEADLINE,
        external_id=receipt.external_id,
        subject="یادآوری مهلت رؤیت — ارجاع R-1404-0000123-1",
        body="شهرداری گرگان\nبا سلام؛ مهلت رؤیت ارجاع R-1404-0000123-1 به پایان رسیده است.",
        deadline="view",
        due_at=VIEW_DUE,
        late_seconds=3600,
    )


@pytest.fixture
def agency(tmp_path: Path) -> Iterator[MailAgencySandbox]:
    with MailAgencySandbox(maildir=tmp_path / "replies", reply_delay=0.01) as sandbox:
        yield sandbox


@pytest.fixture
def connector(agency: MailAgencySandbox, tmp_path: Path) -> EmailConnector:
    settings = email_settings(agency.port, maildir_replies(tmp_path / "replies"))
    return make_connector(settings, tmp_path)


def test_the_reminder_arrives_in_the_referrals_thread_in_persian_rtl_with_jalali_deadlines(
    agency: MailAgencySandbox, connector: EmailConnector
) -> None:
    receipt = connector.push(referral())
    assert connector.can_remind()

    connector.remind(referral(), a_reminder(receipt))

    [mail] = agency.reminders
    assert mail["In-Reply-To"] == receipt.external_id
    assert receipt.external_id in str(mail["References"])
    assert mail["Subject"] == "یادآوری مهلت رؤیت — ارجاع R-1404-0000123-1"
    assert mail["X-Samad-Reminder"] == "deadline"
    assert mail["X-Samad-Referral"] == "R-1404-0000123-1"
    assert AGENCY_ADDRESS in str(mail["To"])
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert 'dir="rtl"' in html
    for text in (plain, html):
        assert "مهلت رؤیت ارجاع R-1404-0000123-1 به پایان رسیده است" in text
        assert "سه‌شنبه ۱۵ مهر ۱۴۰۴ ساعت ۱۰:۳۰" in text  # the view deadline, Tehran, Jalali
        assert "مهلت اعلام نتیجه" in text  # every deadline of the referral is listed
    assert len(agency.received) == 1  # the reminder is no new referral to the clerk


def test_a_retried_reminder_is_the_very_same_mail(
    agency: MailAgencySandbox, connector: EmailConnector
) -> None:
    receipt = connector.push(referral())
    connector.remind(referral(), a_reminder(receipt))
    connector.remind(referral(), a_reminder(receipt))
    connector.remind(referral(), a_reminder(receipt, key="step:6:remind_agency:connector"))
    ids = [str(mail["Message-ID"]) for mail in agency.reminders]
    assert len(ids) == 3 and ids[0] == ids[1] != ids[2]
    assert receipt.external_id not in ids


def test_a_clerk_answering_the_reminder_still_answers_the_referral(
    agency: MailAgencySandbox, connector: EmailConnector, tmp_path: Path
) -> None:
    receipt = connector.push(referral())
    deadline = time.monotonic() + 5  # the clerk's scripted answer to the referral itself
    while not (first := connector.poll([receipt])) and time.monotonic() < deadline:
        time.sleep(0.02)
    connector.acknowledge(first)
    connector.remind(referral(), a_reminder(receipt))
    answer = write_reply(agency.reminders[0], AGENCY_ADDRESS, "وضعیت: در دست اقدام\nپیگیری شد.")
    MaildirDrop(tmp_path / "replies").deliver(answer)

    [update] = connector.poll([receipt])
    assert update.kind is UpdateKind.STATUS
    assert update.external_id == receipt.external_id
    assert update.status == "در دست اقدام"
