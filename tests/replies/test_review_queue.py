"""A reply the hub cannot read is never lost: it waits for a person, on its referral.

Through the real worker polling a real Dovecot: the reply is stored whole and held for review
with its referral, the mail is moved to "Needs review" (never to the processed mailbox), the CLI
lists and decides it, it is alerted once it has waited longer than the set age, and it is in the
daily digest. Polling the same mailbox again finds nothing new.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.models import Referral
from hub.db.models_messages import ReplyReview
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.notifications.failure_digest import send_failure_digests
from tests.core.waiting import wait_for
from tests.replies.agency import MailAgency
from tests.replies.polls import wait_for_polls
from tests.replies.reading import (
    alerts_of_review,
    cli,
    events_of,
    messages_of,
    referral,
    reviews_of,
    updates_of,
)
from tests.support.notification_fixtures import NotificationSandboxes
from tests.support.sweeps import wait_for_sweeps

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(180)]
UNREADABLE = "سلام، نامه شما رسید.\nکارشناس ما موضوع را بررسی می‌کند و نتیجه را اعلام خواهیم کرد."


def _waiting_review(agency: MailAgency) -> ReplyReview:
    return wait_for(lambda: reviews_of(agency.agreement_id), timeout=30, what="a review")[0]


def _poll_again(agency: MailAgency, referral_id: int) -> None:
    """Make the referral due for a poll now, and wait until the worker has polled twice more."""
    with session_scope() as session:
        session.execute(
            update(Referral).where(Referral.id == referral_id).values(next_poll_at=utcnow())
        )
    wait_for_polls(agency.agreement_id)


def test_a_reply_without_a_status_waits_for_review_on_its_referral_in_needs_review(
    api: httpx.Client, agency: MailAgency
) -> None:
    referred = agency.refer(api)
    reply = agency.reply(referred, UNREADABLE)

    review = _waiting_review(agency)
    [message] = messages_of(agency.agreement_id)
    [unmatched] = events_of(referred.referral_id, "update.unmatched")
    flags = wait_for(
        lambda: agency.flags_in("Needs review", str(reply["Message-ID"])), what="Needs review"
    )
    listed = cli("replies", "review", "--json")

    assert (review.state, review.referral_id) == ("pending", referred.referral_id)
    assert review.reason  # why the hub could not read it, for the person who will
    assert (unmatched.request_id, unmatched.referral_id) != (None, None)
    assert unmatched.referral_id == referred.referral_id
    assert message.referral_id == referred.referral_id
    assert "کارشناس ما موضوع را بررسی می‌کند" in (message.text or "")
    assert (message.original or b"").replace(b"\r\n", b"\n") == reply.as_bytes()  # IMAP: CRLF
    assert message.subject == str(reply["Subject"])
    assert "\\Flagged" in flags and "\\Seen" not in flags  # a person sees it, unread
    assert agency.flags_in(agency.mailbox, str(reply["Message-ID"])) is None
    assert agency.flags_in(agency.processed_mailbox, str(reply["Message-ID"])) is None
    assert referral(referred.referral_id).state == "delivered"  # nothing applied by guessing
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    mine = [row for row in rows if row["review_id"] == review.id]
    assert listed.returncode == 0, listed.stderr
    assert mine and mine[0]["reference"] == referred.reference

    _poll_again(agency, referred.referral_id)  # the same mailbox once more: nothing is new
    agency.deliver(reply)  # and the agency's server sends the very same mail again
    _poll_again(agency, referred.referral_id)

    assert len(updates_of(agency.agreement_id)) == 1
    assert len(reviews_of(agency.agreement_id)) == 1
    assert len(messages_of(agency.agreement_id)) == 1


def test_the_cli_shows_a_reply_and_applies_the_state_it_means_as_the_person(
    api: httpx.Client, agency: MailAgency
) -> None:
    referred = agency.refer(api)
    agency.reply(referred, "با سلام\nلوله‌کشی کوچه تعمیر شد و آب وصل است.")
    review = _waiting_review(agency)

    shown = cli("replies", "show", str(review.id))
    applied = cli(
        "replies", "apply", str(review.id), "--state", "resolved", "--result", "لوله تعمیر شد."
    )
    again = cli("replies", "apply", str(review.id), "--state", "resolved")

    assert shown.returncode == 0, shown.stderr
    assert referred.reference in shown.stdout and "لوله‌کشی کوچه تعمیر شد" in shown.stdout
    assert applied.returncode == 0, applied.stderr + applied.stdout
    after = referral(referred.referral_id)
    assert (after.state, after.result) == ("resolved", "لوله تعمیر شد.")
    [moved] = [e for e in events_of(referred.referral_id, "referral.state_changed")][-1:]
    [decided] = events_of(referred.referral_id, "update.reviewed")
    assert moved.to_state == "resolved" and moved.actor.startswith("cli:")
    assert decided.actor == moved.actor and decided.data["decision"] == "applied"
    assert reviews_of(agency.agreement_id)[0].state == "applied"
    assert again.returncode == 1 and "already" in again.stdout  # decided once, never twice


def test_a_reply_that_names_no_referral_is_applied_to_the_one_the_person_names(
    api: httpx.Client, agency: MailAgency
) -> None:
    from email.message import EmailMessage

    referred = agency.refer(api)
    stray = EmailMessage()
    stray["From"] = "daftar@gorgan-municipality.sandbox"
    stray["Subject"] = "پاسخ نامه شما"
    stray["Message-ID"] = f"<stray-{uuid.uuid4().hex}@gorgan-municipality.sandbox>"
    stray.set_content("موضوع بازدید شد و در دست اقدام است.")
    agency.deliver(stray)  # read while the agency has a referral open, so polled

    review = _waiting_review(agency)
    dismissed = cli("replies", "dismiss", str(review.id), "--why", "")
    applied = cli(
        "replies",
        "apply",
        str(review.id),
        "--state",
        "in_progress",
        "--referral",
        referred.reference,
    )

    assert review.referral_id is None
    assert dismissed.returncode == 1  # a dismissal says why
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert referral(referred.referral_id).state == "in_progress"
    assert messages_of(agency.agreement_id)[0].referral_id == referred.referral_id
    assert wait_for(lambda: agency.flags_in("Needs review", str(stray["Message-ID"])))


def test_a_reply_waiting_longer_than_the_set_age_is_alerted_once_and_is_in_the_digest(
    api: httpx.Client, agency: MailAgency, notification_sandboxes: NotificationSandboxes
) -> None:
    referred = agency.refer(api)
    agency.reply(referred, UNREADABLE)
    review = _waiting_review(agency)
    wait_for_sweeps("hub.review_alerts", 2)  # the beat looked twice: a fresh reply is not alerted
    fresh = alerts_of_review(review.id)
    age = timedelta(minutes=get_settings().review_alert_after_minutes + 1)
    with session_scope() as session:  # as if it had waited longer than the set age
        session.execute(
            update(ReplyReview).where(ReplyReview.id == review.id).values(created_at=utcnow() - age)
        )

    [alerted] = wait_for(lambda: alerts_of_review(review.id), what="the review alert")
    wait_for_sweeps("hub.review_alerts", 2)  # and looked again: no second alert
    admin = f"admin-{uuid.uuid4().hex[:8]}@golestan111.example"
    settings = get_settings().model_copy(update={"admin_emails": [admin]})
    recorded = send_failure_digests(get_registry(), settings)
    mails = wait_for(lambda: notification_sandboxes.mail.to(admin), what="the digest")

    assert fresh == []
    assert len(alerts_of_review(review.id)) == 1
    assert alerted["agreement"] == agency.agreement_id
    [event] = [
        e
        for e in events_of(referred.referral_id, "alert")
        if e.data["alert"] == "reply_needs_review"
    ]
    assert event.request_id is not None
    to_admin = [d for d in recorded if d.recipient == admin]
    to_agency = [d for d in recorded if d.agreement_id == agency.agreement_id]
    assert [r.review_id for r in to_admin[0].replies if r.review_id == review.id] == [review.id]
    assert [r.review_id for r in to_agency[0].replies] == [review.id]
    text = mails[0].get_content()
    assert referred.reference in text and "samad-hub replies review" in text
    assert "پاسخ در انتظار بررسی" in str(mails[0]["Subject"])
