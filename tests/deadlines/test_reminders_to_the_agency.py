"""The agency hears on its own system: a deadline reminder and a reopen go to the water company's
CRM through the REST connector, and into the municipality's referral mail thread through the
email connector — recorded before they are sent, sent once, retried when the agency is down for a
moment. An agency whose connector cannot carry a reminder (SOAP), or a case that never reached
the agency's system, gets the reminder by email to its contacts instead.

Real servers: PostgreSQL, the REST, SOAP and email agency sandboxes; the API and a Celery worker
for the reopen.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.models import Event, Referral, Request
from hub.db.models_deadlines import Notification
from hub.db.session import session_scope
from hub.deadlines.due_times import start_deadlines
from hub.deadlines.escalation import sweep_deadlines
from hub.delivery.batch import deliver
from hub.intake.submit import submit_request
from hub.notifications.sending import send_notification
from tests.core.waiting import wait_for, wait_for_states
from tests.deadlines.support import messages, referral, tehran
from tests.support.fixtures import Sandboxes
from tests.support.notification_fixtures import NotificationSandboxes
from tests.support.requests import BASE, citizen_request, national_id

pytestmark = pytest.mark.usefixtures("database", "sandboxes")

START = tehran(2027, 5, 8, 8, 0)  # water: view due 10:00, reminded at 75 % (09:30)
MINUTE = timedelta(minutes=1)
FAR = timedelta(days=3650)


def delivered_referral_started_at(**request: Any) -> int:
    """A referral pushed to its agency's system, deadlines from START, and never polled (the
    agency's system would move it along)."""
    registry, settings = get_registry(), get_settings()
    with session_scope() as session:
        made = submit_request(session, citizen_request(**request), registry, settings)
        made.referrals[0].next_attempt_at = START + FAR  # no worker delivers it but this test
        referral_id = made.referrals[0].id
    deliver(referral_id, registry, settings)
    wait_for(lambda: referral(referral_id).external_id, what="the push")
    with session_scope() as session:
        row = session.get_one(Referral, referral_id)
        row.next_poll_at = START + FAR
        kind = session.get_one(Request, row.request_id).type
        start_deadlines(row, registry.get(row.agreement_id), kind, START)
    return referral_id


def first_rung(referral_id: int) -> datetime:
    """The deadline sweep just after the referral's first ladder firing (a remind_agency)."""
    moment = referral(referral_id).next_deadline_at
    assert moment is not None
    sweep_at(moment + MINUTE)
    return moment + MINUTE


def sweep_at(moment: datetime) -> None:
    with session_scope() as session:
        sweep_deadlines(session, get_registry(), moment, limit=10_000)


def sent(notification: Notification) -> Notification:
    """The message once sent — by this test, or by a worker's notification sweep if one runs."""

    def attempt() -> Notification | None:
        send_notification(notification.id, get_settings())
        with session_scope() as session:
            row = session.get_one(Notification, notification.id)
        return row if row.status == "sent" else None

    return wait_for(attempt, timeout=20, what=f"{notification.key} to be sent")


def test_a_deadline_reminder_is_filed_on_the_agencys_ticket_once_even_after_a_refusal(
    sandboxes: Sandboxes,
) -> None:
    referral_id = delivered_referral_started_at()
    ticket = str(referral(referral_id).external_id)
    # The CRM's reminder service hiccups (for this ticket: a worker may send others meanwhile).
    sandboxes.water.reminders.refuse_next(1, status=503, ticket=ticket)
    swept_at = first_rung(referral_id)

    [reminder] = messages(referral_id)
    assert (reminder.kind, reminder.channel) == ("remind_agency", "connector")
    assert reminder.recipient == f"rest:{ticket}"
    done = sent(reminder)
    assert done.attempts == 2  # the 503 was retried, like any transient failure

    [filed] = sandboxes.water.reminders.of(ticket)
    assert (filed.body["kind"], filed.body["deadline"]) == ("deadline", "view")
    assert filed.body["due_at_jalali"] == "۱۴۰۶/۰۲/۱۸ ۱۰:۰۰"
    assert filed.body["message"] == reminder.body
    assert "یادآوری مهلت رؤیت" in filed.body["subject"]
    sweep_at(swept_at)  # the sweep again, and the message again: nothing new
    send_notification(reminder.id, get_settings())
    assert len(messages(referral_id)) == 1
    assert len(sandboxes.water.reminders.of(ticket)) == 1


def test_a_reminder_the_agencys_system_refuses_for_good_goes_to_its_contacts_by_email(
    sandboxes: Sandboxes, notification_sandboxes: NotificationSandboxes
) -> None:
    referral_id = delivered_referral_started_at()
    ticket = str(referral(referral_id).external_id)
    sandboxes.water.reminders.refuse_next(1, status=422, ticket=ticket)  # no retry helps
    first_rung(referral_id)
    [reminder] = messages(referral_id)
    assert reminder.channel == "connector"

    assert send_notification(reminder.id, get_settings()) == "failed"

    refused, instead = messages(referral_id)
    assert (refused.id, refused.status) == (reminder.id, "failed")
    assert (instead.channel, instead.recipient) == ("email", "samad@abfa-golestan.example")
    assert (instead.kind, instead.subject, instead.body) == (
        reminder.kind,
        reminder.subject,
        reminder.body,
    )
    with session_scope() as session:
        alert = session.scalars(
            select(Event).where(Event.referral_id == referral_id, Event.kind == "alert")
        ).one()
    assert alert.data["alert"] == "notification_failed"
    assert alert.data["sent_instead_by_email_to"] == ["samad@abfa-golestan.example"]
    sent(instead)
    [mail] = [
        m
        for m in notification_sandboxes.mail.to("samad@abfa-golestan.example")
        if m["Subject"] == reminder.subject
    ]
    assert mail.get_body(preferencelist=("plain",)).get_content().strip() == reminder.body.strip()
    send_notification(reminder.id, get_settings())  # the failed one again: nothing new
    assert len(messages(referral_id)) == 2


def test_a_reminder_key_too_long_for_the_column_falls_back_under_a_digest() -> None:
    from hub.notifications.agency_reminders import KEY_LENGTH, _fallback_key

    key = "view:1:r0@2027-05-08T06:30:00+00:00:connector"
    assert _fallback_key(key, "a@b.example") == f"{key}:fallback:a@b.example"
    long_address = "x" * 120 + "@b.example"
    digest = _fallback_key(key, long_address)
    assert len(digest) <= KEY_LENGTH
    assert digest != _fallback_key(key, "y" * 120 + "@b.example")


def test_the_municipality_gets_the_reminder_in_the_referral_mails_thread(
    sandboxes: Sandboxes,
) -> None:
    referral_id = delivered_referral_started_at(category="municipality.street_light")
    thread = str(referral(referral_id).external_id)  # the referral mail's Message-ID
    first_rung(referral_id)

    [reminder] = messages(referral_id)
    assert (reminder.kind, reminder.channel) == ("remind_agency", "connector")
    sent(reminder)
    [mail] = [m for m in sandboxes.municipality.reminders if m["In-Reply-To"] == thread]
    assert mail["X-Samad-Reminder"] == "deadline"
    assert mail["Subject"] == reminder.subject
    assert "شهرداری گرگان" in mail.get_body(preferencelist=("plain",)).get_content()
    assert 'dir="rtl"' in mail.get_body(preferencelist=("html",)).get_content()


def test_an_agency_whose_connector_cannot_remind_is_written_to_by_email() -> None:
    referral_id = delivered_referral_started_at(category="power.outage")
    first_rung(referral_id)

    [reminder] = messages(referral_id)
    assert (reminder.kind, reminder.channel) == ("remind_agency", "email")
    assert reminder.recipient == "samad@tozie-golestan.example"


def test_a_case_that_never_reached_the_agency_is_reminded_by_email() -> None:
    from tests.deadlines.support import referral_started_at

    referral_id = referral_started_at(START)  # water, never delivered: no ticket to file on
    first_rung(referral_id)

    [reminder] = messages(referral_id)
    assert (reminder.channel, reminder.recipient) == ("email", "samad@abfa-golestan.example")


@pytest.mark.usefixtures("worker")
def test_a_reopen_is_filed_on_the_agencys_ticket_with_the_new_result_deadline(
    api: httpx.Client, sandboxes: Sandboxes
) -> None:
    citizen = dict(BASE["citizen"])
    citizen["mobile"] = f"0936{random.randrange(10**7):07d}"
    citizen["national_id"] = national_id(random.randrange(10**8))
    code = api.post("/v1/requests", json=citizen_request(citizen=citizen)).json()["tracking_code"]
    reference = wait_for_states(api, code, ["resolved"])["referrals"][0]["reference"]
    answer = api.post(
        f"/v1/requests/{code}/feedback",
        json={
            "mobile": citizen["mobile"],
            "rating": 1,
            "comment": "هنوز آب وصل نشده",
            "reopen": True,
        },
    )
    assert answer.status_code == 201, answer.text
    with session_scope() as session:
        reopened = session.scalars(select(Referral).where(Referral.reference == reference)).one()
    ticket = str(reopened.external_id)

    [filed] = wait_for(lambda: sandboxes.water.reminders.of(ticket), what="the reopen on the CRM")
    assert (filed.body["kind"], filed.body["deadline"]) == ("reopened", "result")
    assert filed.body["due_at"] == reopened.result_due_at.isoformat()  # type: ignore[union-attr]
    assert "هنوز آب وصل نشده" in filed.body["message"]
    [note] = [m for m in messages(reopened.id) if m.kind == "agency_reopened"]
    assert note.channel == "connector"
    settled(reopened.request_id)


def settled(request_id: int) -> None:
    """Wait until the worker sent every message of the request (none left for the next test)."""

    def quiet() -> bool:
        with session_scope() as session:
            statuses = session.scalars(
                select(Notification.status).where(Notification.request_id == request_id)
            ).all()
        return all(status in ("sent", "failed") for status in statuses)

    wait_for(quiet, what=f"the messages of request {request_id} to be sent")
