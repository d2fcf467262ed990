"""What the hub keeps of an agency's message, and what an update after the result may change.

In the test process, on the run's PostgreSQL (and a fresh SQLite hub): the update is applied as
a poll applies it (``hub.polling.updates.apply_update``).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, update

from hub.agreements.registry import get_registry
from hub.db.migrate import upgrade
from hub.db.models import AgencyUpdate as StoredUpdate
from hub.db.models import Referral
from hub.db.models_messages import AgencyMessage, MessageAttachment, ReplyReview
from hub.db.session import session_scope
from hub.plugins.connector import AgencyUpdate, UpdateKind
from hub.polling.updates import UpdateOutcome, apply_update
from hub.referrals.messages import RFC822, read_message, take_original
from tests.deadlines.support import referral_started_at
from tests.replies.reading import dismiss_waiting, events_of
from tests.support.fixtures import Sandboxes

WATER = "golestan-water"
LETTER = b"%PDF-1.4\n% an official letter\n%%EOF\n"


def _letter_mail() -> EmailMessage:
    """A reply as mail programs write them: text and HTML, an inline scan, a PDF, a forward."""
    mail = EmailMessage()
    mail["From"] = "=?utf-8?b?2K/YqNuM2LHYrtin2YbZhw==?= <dabirkhaneh@abfa.example>"
    mail["Subject"] = "پاسخ نامه ۱۲۳"
    mail["Message-ID"] = f"<{uuid.uuid4().hex}@abfa.example>"
    mail["Date"] = "Sat, 06 Dec 2025 09:30:00 +0330"
    mail.set_content("وضعیت: رسیدگی شد\nلوله تعویض شد.")
    mail.add_alternative("<p>وضعیت: رسیدگی شد</p><p>لوله تعویض شد.</p>", subtype="html")
    mail.add_attachment(LETTER, maintype="application", subtype="pdf", filename="نامه.pdf")
    scan = b"\xff\xd8\xff\xe0scan"
    mail.add_attachment(scan, maintype="image", subtype="jpeg", disposition="inline")
    forwarded = EmailMessage()
    forwarded["Subject"] = "گزارش واحد فنی"
    forwarded.set_content("کار انجام شد.")
    mail.add_attachment(forwarded)
    return mail


def test_a_mail_is_read_into_headers_bodies_and_every_other_part_as_a_file() -> None:
    read = read_message(_letter_mail().as_bytes())

    assert read.header("Subject") == "پاسخ نامه ۱۲۳"
    assert read.header("From") == "دبیرخانه <dabirkhaneh@abfa.example>"
    assert read.text == "وضعیت: رسیدگی شد\nلوله تعویض شد.\n"
    assert "<p>لوله تعویض شد.</p>" in (read.html or "")
    types = [(f.content_type, f.filename) for f in read.files]
    assert types[0] == ("application/pdf", "نامه.pdf") and read.files[0].content == LETTER
    assert types[1] == ("image/jpeg", "part-2.jpg")
    assert types[2] == ("message/rfc822", "part-3.eml")
    forwarded = BytesParser(policy=default_policy).parsebytes(read.files[2].content)
    assert forwarded["Subject"] == "گزارش واحد فنی"
    assert len(read.files) == 3


def test_a_text_in_a_charset_nobody_knows_is_read_with_replacement_characters() -> None:
    raw = (
        b"From: clerk@agency.example\r\nSubject: =?x-unknown?q?abc?=\r\n"
        b"Content-Type: text/plain; charset=x-no-such-charset\r\n"
        b"Content-Transfer-Encoding: 8bit\r\n\r\nSTATUS: RESOLVED \xd3\xe1\xc7\xe3\r\n"
    )
    read = read_message(raw)

    assert (read.text or "").startswith("STATUS: RESOLVED ")
    assert read.header("Subject")  # kept as it came
    assert read.files == []


def test_raw_that_is_not_base64_stays_in_raw() -> None:
    kept, original = take_original({RFC822: "not base64 at all!", "mailbox_key": "1:2"})
    assert original is None and kept == {RFC822: "not base64 at all!", "mailbox_key": "1:2"}


@pytest.fixture
def water_referral(database: str, sandboxes: Sandboxes) -> Iterator[Referral]:
    """A referral of the water company, as if delivered (the poll never reaches it)."""
    referral_id = referral_started_at(datetime(2025, 12, 6, 8, 0, tzinfo=UTC))
    external = f"WT-{uuid.uuid4().hex[:10]}"
    with session_scope() as session:
        session.execute(
            update(Referral)
            .where(Referral.id == referral_id)
            .values(state="delivered", external_id=external, next_poll_at=None)
        )
        found = session.get_one(Referral, referral_id)
        session.expunge(found)
    yield found
    dismiss_waiting(WATER)


def _apply(referral: Referral, **fields: object) -> UpdateOutcome:
    values: dict[str, object] = {"update_id": uuid.uuid4().hex, "external_id": referral.external_id}
    values.update(fields)
    with session_scope() as session:
        agreement = get_registry().get(WATER)
        return apply_update(session, agreement, AgencyUpdate(**values), get_registry())


def test_a_message_is_stored_whole_on_its_referral_and_a_second_copy_changes_nothing(
    water_referral: Referral,
) -> None:
    mail = _letter_mail().as_bytes()
    raw = {RFC822: base64.b64encode(mail).decode(), "mailbox_key": "7:42"}
    update_id = uuid.uuid4().hex

    first = _apply(
        water_referral, update_id=update_id, status="CLOSED_DONE", result="done", raw=raw
    )
    second = _apply(
        water_referral, update_id=update_id, status="CLOSED_DONE", result="done", raw=raw
    )

    with session_scope() as session:
        stored = session.scalars(
            select(StoredUpdate).where(StoredUpdate.update_id == update_id)
        ).one()
        message = session.scalars(
            select(AgencyMessage).where(AgencyMessage.agency_update_id == stored.id)
        ).one()
        files = session.scalars(
            select(MessageAttachment).where(MessageAttachment.message_id == message.id)
        ).all()
        assert (first, second) == (UpdateOutcome.APPLIED, UpdateOutcome.DUPLICATE)
        assert RFC822 not in stored.raw and stored.raw["mailbox_key"] == "7:42"
        assert message.original == mail and message.size == len(mail)
        assert message.referral_id == water_referral.id and not message.late
        assert message.sent_at == datetime(2025, 12, 6, 6, 0, tzinfo=UTC)
        assert files[0].filename == "نامه.pdf"
        assert files[0].sha256 == hashlib.sha256(LETTER).hexdigest() and files[0].size == len(
            LETTER
        )


def test_an_update_after_the_result_is_a_note_and_never_rewrites_the_result(
    water_referral: Referral,
) -> None:
    assert _apply(water_referral, status="CLOSED_DONE", result="شیر فلکه تعویض شد.") == "applied"
    late = _apply(water_referral, status="CLOSED_DONE", result="متن دیگری برای همان پرونده")
    stale = _apply(water_referral, status="ASSIGNED", result="دوباره در دست اقدام")
    silent = _apply(water_referral, status="CLOSED_DONE")

    with session_scope() as session:
        after = session.get_one(Referral, water_referral.id)
        assert (after.state, after.result) == ("resolved", "شیر فلکه تعویض شد.")
    assert (late, stale, silent) == ("late_note", "late_note", "unchanged")
    notes = [e.data["note"] for e in events_of(water_referral.id, "referral.late_reply")]
    assert notes == ["متن دیگری برای همان پرونده", "دوباره در دست اقدام"]


def test_an_update_the_status_map_lacks_waits_for_review_with_its_referral(
    water_referral: Referral,
) -> None:
    outcome = _apply(water_referral, status="ON_HOLD_FOR_PARTS", result="منتظر قطعه")
    no_referral = _apply(
        water_referral, kind=UpdateKind.STATUS, external_id="WT-unknown", status="SEEN"
    )

    with session_scope() as session:
        reviews = session.scalars(
            select(ReplyReview).where(ReplyReview.agreement_id == WATER).order_by(ReplyReview.id)
        ).all()
        mine = [r for r in reviews if r.referral_id in (water_referral.id, None)][-2:]
        assert (outcome, no_referral) == ("unknown_status", "unmatched")
        assert [r.referral_id for r in mine] == [water_referral.id, None]
        assert "ON_HOLD_FOR_PARTS" in mine[0].reason and "WT-unknown" in mine[1].reason
        assert all(r.state == "pending" for r in mine)


def test_a_fresh_sqlite_hub_has_the_message_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
        columns = {c["name"] for c in inspect(engine).get_columns("message_attachments")}
    finally:
        engine.dispose()
    assert {"agency_messages", "message_attachments", "reply_reviews"} <= tables
    assert {"filename", "content_type", "size", "sha256", "content"} <= columns
