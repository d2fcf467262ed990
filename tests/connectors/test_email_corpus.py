"""Replies as government clerks really write them, read through the e-mail connector's poll.

``email_corpus/`` holds real-shaped mails answering three referrals the tests send: Outlook
(HTML, top-posted; Persian), Gmail in Persian, Thunderbird (format=flowed), a Persian webmail's
HTML-only windows-1256 reply, forwards and fresh mails that name the referral only in the
subject (Persian digits, Arabic ي/ك), a tracking code alone, out-of-office answers, a read
receipt, and permanent and temporary delivery reports. Each is dropped into the hub's Maildir
and polled; the test asserts what the centre gets.
"""

from __future__ import annotations

import mailbox
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import pytest

from connectors.email.connector import EmailConnector
from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.migrate import upgrade
from hub.db.session import session_scope
from hub.intake.submit import submit_request
from hub.plugins.connector import AgencyUpdate, Receipt, UpdateKind
from hub.sandbox.mail import MaildirDrop
from tests.support.fixtures import Sandboxes
from tests.support.mailservers import (
    AGENCY_ADDRESS,
    SmtpServer,
    email_settings,
    maildir_replies,
    make_connector,
    referral,
)
from tests.support.requests import citizen_request

CORPUS = Path(__file__).parent / "email_corpus"

# The referrals the corpus answers: reference → the citizen's subject. Their mails' Message-IDs
# follow from the idempotency keys, "samad-<reference>", as the hub makes them.
REFERRALS = {
    "13751159899-1": "خرابی آسانسور پل هوایی بندر ترکمن و ریزش سقف پله‌های آن در خیابان امام"
    " خمینی، نزدیک میدان ۱۵ خرداد",
    "14028873416-1": "انباشت زباله در کوچه",
    "14550321784-2": "نشت آب در پیاده‌رو",
}
A, B, C = REFERRALS


@dataclass(frozen=True)
class Expected:
    kind: UpdateKind
    referral: str  # the reference of the referral the mail is matched to
    status: str | None = None
    result: str | None = None
    unread: str | None = None  # raw["unread"]: why it was not read as the clerk's answer


STATUS, UNMATCHED, BOUNCE = UpdateKind.STATUS, UpdateKind.UNMATCHED, UpdateKind.BOUNCE

CASES = {
    "outlook_html_top_posted.eml": Expected(
        STATUS,
        A,
        "رسیدگی شد",
        "آسانسور پل هوایی تعمیر و راه‌اندازی شد.\n\nسقف پله‌ها نیز مرمت گردید.",
    ),
    "outlook_persian_plain_and_html.eml": Expected(
        STATUS,
        B,
        "در دست اقدام",
        "اکیپ خدمات شهری برای جمع‌آوری زباله‌ها اعزام شد.\n\nمحمد رضایی\nدبیرخانه شهرداری گرگان",
    ),
    "gmail_persian_greeting_first.eml": Expected(
        STATUS,
        A,
        "رؤیت شد",
        "موضوع به معاونت فنی شهرداری ارجاع شد و کارشناس ظرف دو روز بازدید می‌کند.",
    ),
    "thunderbird_flowed.eml": Expected(
        STATUS,
        C,
        "IN_PROGRESS",
        "The water company's crew found the leaking pipe under the pavement and will replace it"
        " on Saturday; the pavement is repaired after that.\n\nRegards,\nTechnical unit",
    ),
    "persian_webmail_html_only_windows1256.eml": Expected(
        STATUS,
        B,
        "رسیدگی شد",
        "زباله‌های کوچه جمع‌آوری و محل ضدعفونی شد.\nاز صبر شما سپاسگزاریم.\n\nواحد خدمات شهری",
    ),
    "zimbra_persian_original_message.eml": Expected(
        STATUS, C, "RESOLVED", "لوله آب تعویض و پیاده‌رو آسفالت شد."
    ),
    "forwarded_fw_persian_digits.eml": Expected(
        STATUS, A, "رسیدگی شد", "آسانسور تعمیر شد و سقف پله‌ها مرمت گردید."
    ),
    "subject_only_re.eml": Expected(STATUS, B, "رسیدگی شد", "محل پاکسازی و ضدعفونی شد."),
    "subject_only_persian_reply_arabic_letters.eml": Expected(
        STATUS,
        C,
        "در دست اقدام",
        "کارشناس برای بازدید از محل اعزام شد؛ نتیجه تا ۳ روز دیگر اعلام می‌شود.",
    ),
    "tracking_code_only.eml": Expected(STATUS, B, "رسیدگی شد", "زباله‌ها جمع‌آوری شد."),
    "keyword_and_text_one_line.eml": Expected(
        STATUS, C, "رسیدگی شد", "لوله تعویض شد و پیاده‌رو مرمت می‌شود.\nبا تشکر"
    ),
    "greeting_on_the_keyword_line.eml": Expected(
        STATUS, B, "در دست اقدام", "پیمانکار جمع‌آوری زباله فردا صبح اعزام می‌شود."
    ),
    "no_keyword.eml": Expected(
        UNMATCHED,
        A,
        result="سلام\nموضوع در دست بررسی است و نتیجه متعاقباً اعلام می‌شود.",
        unread="no_status",
    ),
    "out_of_office_exchange.eml": Expected(UNMATCHED, A, unread="automatic"),
    "vacation_x_autoreply.eml": Expected(UNMATCHED, B, unread="automatic"),
    "read_receipt.eml": Expected(UNMATCHED, C, unread="automatic"),
    "dsn_permanent_5xx.eml": Expected(BOUNCE, A),
    "dsn_temporary_4xx.eml": Expected(UNMATCHED, B, unread="delivery_delayed"),
}


def referred(smtp: SmtpServer, work_dir: Path) -> tuple[EmailConnector, dict[str, Receipt]]:
    """The connector, having sent the three referrals; their receipts by reference."""
    replies = maildir_replies(work_dir / "replies")
    connector = make_connector(email_settings(smtp.port, replies), work_dir)
    receipts = {}
    for number, (reference, subject) in enumerate(REFERRALS.items(), start=1):
        request = {**referral().request, "subject": subject}
        sent = referral(
            number,
            reference=reference,
            tracking_code=reference.partition("-")[0],
            idempotency_key=f"samad-{reference}",
            request=request,
        )
        receipts[reference] = connector.push(sent)
    return connector, receipts


def poll_one(
    connector: EmailConnector, receipts: dict[str, Receipt], work_dir: Path, name: str
) -> AgencyUpdate:
    """The one update the corpus mail ``name``, arrived in the hub's Maildir, makes."""
    box = mailbox.Maildir(work_dir / "replies", factory=None, create=True)
    box.add((CORPUS / name).read_bytes())
    [update] = connector.poll(list(receipts.values()))
    return update


def test_every_mail_of_the_corpus_has_its_expectation() -> None:
    assert sorted(path.name for path in CORPUS.glob("*.eml")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_centre_gets_what_the_clerk_meant(
    name: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    connector, receipts = referred(smtp_server, tmp_path)
    expected = CASES[name]

    update = poll_one(connector, receipts, tmp_path, name)

    assert (update.kind, update.status, update.result) == (
        expected.kind,
        expected.status,
        expected.result,
    )
    assert update.external_id == receipts[expected.referral].external_id
    assert update.referral_reference == expected.referral
    assert update.raw.get("unread") == expected.unread
    for quoted_history in ("درخواست شهروندی", "شماره ارجاع", "From:", "از:", "wrote:", "نوشت"):
        assert quoted_history not in (update.result or "")


def test_a_forwarded_answer_is_said_to_come_from_the_forward(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    connector, receipts = referred(smtp_server, tmp_path)
    update = poll_one(connector, receipts, tmp_path, "forwarded_fw_persian_digits.eml")

    assert update.raw["status_from_forward"] is True
    assert update.raw["found_by"] == "subject"


def test_a_mail_naming_only_a_tracking_code_says_which(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    connector, receipts = referred(smtp_server, tmp_path)
    update = poll_one(connector, receipts, tmp_path, "tracking_code_only.eml")

    assert (update.raw["found_by"], update.raw["tracking_code"]) == ("tracking code", B[:11])


def test_an_out_of_office_answer_says_it_is_automatic(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    connector, receipts = referred(smtp_server, tmp_path)
    update = poll_one(connector, receipts, tmp_path, "out_of_office_exchange.eml")

    assert update.status is None  # its first line, «وضعیت: در مرخصی», is no answer
    assert "automatic reply" in (update.note or "")
    assert update.raw["automatic"] == "Auto-Submitted: auto-replied"


def test_a_delay_report_leaves_the_referral_delivered_and_says_the_server_keeps_trying(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    connector, receipts = referred(smtp_server, tmp_path)
    update = poll_one(connector, receipts, tmp_path, "dsn_temporary_4xx.eml")

    assert update.kind is not UpdateKind.BOUNCE
    assert update.raw["dsn"] == {"permanent": False, "statuses": ["4.4.1"]}
    assert "keeps trying" in (update.note or "") and "4.4.1" in (update.note or "")


def test_a_permanent_bounce_names_its_status(smtp_server: SmtpServer, tmp_path: Path) -> None:
    connector, receipts = referred(smtp_server, tmp_path)
    update = poll_one(connector, receipts, tmp_path, "dsn_permanent_5xx.eml")

    assert update.raw["dsn"] == {"permanent": True, "statuses": ["5.1.1"]}
    assert "User unknown" in (update.note or "")


LONG_SUBJECT = (
    "خرابی آسانسور پل هوایی بندر ترکمن و ریزش سقف پله‌های آن در خیابان امام خمینی، نزدیک"
    " میدان ۱۵ خرداد، روبه‌روی پارک شهر — سالمندان و کودکان دو هفته است نمی‌توانند عبور کنند"
)


def test_a_long_persian_subject_reaches_mail_programs_intact(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    connector, _ = referred(smtp_server, tmp_path)
    sent = referral(9, request={**referral().request, "subject": LONG_SUBJECT})
    expected = f"ارجاع سامانه ۱۱۱ [{sent.reference}] {LONG_SUBJECT}"

    wire = connector.compose(sent).as_bytes()
    connector.push(sent)

    assert BytesParser(policy=default_policy).parsebytes(wire)["Subject"] == expected
    assert smtp_server.messages[-1]["Subject"] == expected  # as the SMTP server received it
    header = re.search(rb"^Subject:.*?\r?\n(?! )", wire, re.MULTILINE | re.DOTALL)
    assert header is not None
    lines = header.group(0).splitlines()
    assert len(lines) > 1 and all(len(line) <= 78 for line in lines)
    assert all(len(word) <= 75 for word in re.findall(rb"=\?[^?]+\?[bBqQ]\?[^?]*\?=", wire))


def test_the_default_pattern_finds_the_references_the_hub_makes(
    sandboxes: Sandboxes, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    with session_scope(url) as session:
        made = submit_request(session, citizen_request(), get_registry(), get_settings())
        reference, tracking_code = made.referrals[0].reference, made.request.tracking_code
    connector = make_connector(email_settings(25, maildir_replies(tmp_path / "m")), tmp_path)
    persian = reference.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    fresh = _fresh_mail(f"پاسخ: ارجاع سامانه ۱۱۱ [{persian}]", "وضعیت: رسیدگی شد\nانجام شد.")
    MaildirDrop(tmp_path / "m").deliver(fresh)

    [update] = connector.poll([])  # a referral no longer polled: the hub finds it by reference

    assert update.referral_reference == reference
    assert reference.startswith(f"{tracking_code}-")


def _fresh_mail(subject: str, text: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = AGENCY_ADDRESS
    mail["Subject"] = subject
    mail["Message-ID"] = "<fresh-pattern@gorgan-municipality.sandbox>"
    mail.set_content(text)
    return mail
