"""An agency's mail server takes the referral mail and then loses its answer: the line drops
before the final ``250`` of DATA, or it keeps the mail and still answers ``451``.

A dropped line is ambiguous — the mail may be in the mailbox. Where the agreement says the
agency tells one mail from its copy by Message-ID (``delivery.idempotency: header``, the
municipality's), the hub sends it again as the very same mail: two copies of one Message-ID,
one case, one answer from the clerk. Where it says the agency cannot (``none``), the referral
waits, unconfirmed, and no second copy is sent.

A ``451`` is the server's word that it did not take the mail (RFC 5321: only a ``250`` takes
responsibility), so the hub believes it and sends the same mail again, whatever the agreement
says; a server that kept the mail anyway gets a second copy with the same Message-ID, which the
clerk's answer, threaded to it, still finds the one referral by. The real worker sends; the
copies are counted at the agency's SMTP server, and the clerk's answers in its outbox.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.core.settings import get_settings
from hub.db.models import DeliveryAttempt
from hub.db.session import session_scope
from hub.sandbox.mail import ClerkAnswer, MailAgencySandbox
from hub.sandbox.mail.sandbox import LostAnswer
from tests.core.waiting import wait_for
from tests.support.agreements import SAMPLES
from tests.support.referrals import alerts_of, referral_of
from tests.support.requests import citizen_request

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(120)]

SAMPLE = SAMPLES / "golestan-gorgan-municipality.yaml"
SEEN_AS: dict[LostAnswer, str] = {
    "drop": "Connection unexpectedly closed",
    "tempfail": "451",
}
CLERK = (ClerkAnswer("وضعیت: رسیدگی شد", "زباله‌های کوچه جمع‌آوری شد. با تشکر"),)


@dataclass
class Mailroom:
    """One agency's SMTP server and the agreement that sends it referrals."""

    idempotency: str
    agreement_id: str
    category: str
    server: MailAgencySandbox


def _agreement(room: Mailroom, replies: str) -> str:
    text = SAMPLE.read_text(encoding="utf-8")
    text = text.replace("id: golestan-gorgan-municipality", f"id: {room.agreement_id}")
    text = text.replace("port: 8725", f"port: {room.server.port}")
    text = text.replace("timeout_seconds: 15", "timeout_seconds: 5")
    text = text.replace("${data_dir}/mail/replies", replies)
    text = re.sub(
        r'  - categories: \["municipality\.\*"\]\n    counties: \[.*\]\n',
        f'  - categories: ["{room.category}"]\n',
        text,
    )
    text = re.sub(r"interval_seconds: \d+", "interval_seconds: 1", text)
    delivery = (
        f"delivery:\n  idempotency: {room.idempotency}\n  max_attempts: 6\n"
        "  backoff_seconds: 0.1\n  backoff_max_seconds: 0.2\n  breaker_failures: 1000\n"
    )
    return re.sub(r"delivery:\n(  .*\n)+", delivery, text)


def _open(idempotency: str) -> Iterator[Mailroom]:
    """A mail server of its own (its clerk answering into a Maildir only this agreement reads:
    a reply read by another agreement's poll would be that agreement's unmatched mail)."""
    suffix = uuid.uuid4().hex[:8]
    replies = get_settings().data_dir / "mail" / f"lost-{suffix}"
    with MailAgencySandbox(maildir=replies, reply_delay=0.3, script=CLERK) as server:
        room = Mailroom(idempotency, f"mail-{idempotency}-{suffix}", f"roads.m_{suffix}", server)
        directory = Path(os.environ["SAMAD_AGREEMENTS_DIR"])
        partial = directory / f".{room.agreement_id}.partial"
        partial.write_text(_agreement(room, str(replies)), encoding="utf-8")
        path = partial.replace(directory / f"{room.agreement_id}.yaml")  # never half a file
        try:
            yield room
        finally:
            path.unlink()


@pytest.fixture
def dedupes(database: str) -> Iterator[Mailroom]:
    yield from _open("header")


@pytest.fixture
def cannot_tell(database: str) -> Iterator[Mailroom]:
    yield from _open("none")


def _submit(api: httpx.Client, room: Mailroom, lost: LostAnswer) -> str:
    room.server.lose_answers(lost, times=1)
    request = citizen_request(category=room.category)
    request.update(subject="انباشت زباله در کوچه", description="سه روز است زباله جمع نشده.")
    answer = api.post("/v1/requests", json=request)
    assert answer.status_code == 201, answer.text
    code: str = answer.json()["tracking_code"]
    return code


def _first_attempt(referral_id: int) -> tuple[str, str]:
    with session_scope() as session:
        attempt = session.scalars(
            select(DeliveryAttempt).where(
                DeliveryAttempt.referral_id == referral_id, DeliveryAttempt.number == 1
            )
        ).one()
        return attempt.outcome, attempt.error or ""


def _sent_again_as_the_same_mail_and_answered_once(room: Mailroom, code: str) -> None:
    wait_for(lambda: referral_of(code).state == "resolved", timeout=45, what=f"{code} resolved")
    referral = referral_of(code)
    copies = room.server.mails_for(referral.reference)
    assert [str(m["Message-ID"]) for m in copies] == [referral.external_id] * 2
    answers = [r for r in room.server.replied if r["In-Reply-To"] == referral.external_id]
    assert len(answers) == 1  # the clerk saw one referral mail, and answered it once
    assert "delivery_unconfirmed" not in {a["alert"] for a in alerts_of(referral.id)}


@pytest.mark.parametrize("lost", list(SEEN_AS))
def test_a_mail_whose_answer_was_lost_is_sent_again_as_the_same_mail_where_the_agency_dedupes(
    api: httpx.Client, dedupes: Mailroom, lost: LostAnswer
) -> None:
    code = _submit(api, dedupes, lost)
    _sent_again_as_the_same_mail_and_answered_once(dedupes, code)
    outcome, error = _first_attempt(referral_of(code).id)
    assert outcome == "transient" and SEEN_AS[lost] in error, (outcome, error)


def test_a_mail_taken_before_the_line_dropped_is_unconfirmed_where_the_agency_cannot_tell(
    api: httpx.Client, cannot_tell: Mailroom
) -> None:
    code = _submit(api, cannot_tell, "drop")
    wait_for(
        lambda: referral_of(code).state not in ("pending", "delivering"),
        timeout=45,
        what=f"{code} settled",
    )
    referral = referral_of(code)
    assert referral.state == "unconfirmed", referral.state
    assert referral.next_attempt_at is None  # nothing will send it again by itself
    assert len(cannot_tell.server.mails_for(referral.reference)) == 1
    outcome, error = _first_attempt(referral.id)
    assert outcome == "unconfirmed" and SEEN_AS["drop"] in error, (outcome, error)
    assert "delivery_unconfirmed" in {a["alert"] for a in alerts_of(referral.id)}


def test_a_451_after_the_mail_was_kept_is_taken_at_its_word_and_the_same_mail_sent_again(
    api: httpx.Client, cannot_tell: Mailroom
) -> None:
    code = _submit(api, cannot_tell, "tempfail")
    _sent_again_as_the_same_mail_and_answered_once(cannot_tell, code)
