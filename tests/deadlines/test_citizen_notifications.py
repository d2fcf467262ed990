"""The citizen is told: the tracking code on intake and a copy of the result, by SMS through the
Kavenegar-style gateway sandbox and by email through a real SMTP server — each message once.

Real servers throughout: the API, PostgreSQL, Redis, a Celery worker process with beat, the
water company's REST sandbox, the SMS gateway sandbox and an aiosmtpd relay.
"""

from __future__ import annotations

import random

import httpx
import pytest

from hub.calendars.jalali import persian_digits
from tests.core.waiting import wait_for, wait_for_states
from tests.support.notification_fixtures import NotificationSandboxes
from tests.support.requests import BASE, citizen_request, national_id

pytestmark = pytest.mark.usefixtures("worker")


def a_citizen(email: str | None = None) -> dict[str, str]:
    citizen = dict(BASE["citizen"])
    citizen["mobile"] = f"0912{random.randrange(10**7):07d}"
    citizen["national_id"] = national_id(random.randrange(10**8))
    if email:
        citizen["email"] = email
    return citizen


def test_the_citizen_gets_the_tracking_code_by_sms_in_persian(
    api: httpx.Client, notification_sandboxes: NotificationSandboxes
) -> None:
    citizen = a_citizen()
    code = api.post("/v1/requests", json=citizen_request(citizen=citizen)).json()["tracking_code"]
    [sms] = wait_for(lambda: notification_sandboxes.sms.to(citizen["mobile"]), what="the SMS")
    assert "کد پیگیری: " + persian_digits(code) in sms["message"]
    assert "قطعی آب در خیابان ولیعصر" in sms["message"]


def test_the_result_reaches_the_citizen_by_sms_and_email_once_each(
    api: httpx.Client, notification_sandboxes: NotificationSandboxes
) -> None:
    citizen = a_citizen(email=f"citizen{random.randrange(10**6)}@example.org")
    code = api.post("/v1/requests", json=citizen_request(citizen=citizen)).json()["tracking_code"]
    body = wait_for_states(api, code, ["resolved"])
    texts = wait_for(
        lambda: (
            len(notification_sandboxes.sms.to(citizen["mobile"])) == 2
            and notification_sandboxes.sms.to(citizen["mobile"])
        ),
        what="intake and result SMS",
    )
    assert "پاسخ داده شد" in texts[1]["message"]
    assert body["result"] in texts[1]["message"]
    [mail] = wait_for(lambda: notification_sandboxes.mail.to(citizen["email"]), what="the mail")
    assert mail["Subject"] == f"سامانه ۱۱۱: پاسخ درخواست {persian_digits(code)}"
    assert body["result"] in mail.get_content()


def test_a_busy_gateway_is_tried_again_and_the_citizen_gets_one_sms(
    api: httpx.Client, notification_sandboxes: NotificationSandboxes
) -> None:
    citizen = a_citizen()
    # Queued for this citizen's number only: other tests' messages can't use them up.
    notification_sandboxes.sms.faults_for[citizen["mobile"]] = [409, 409]
    api.post("/v1/requests", json=citizen_request(citizen=citizen))
    wait_for(lambda: notification_sandboxes.sms.to(citizen["mobile"]), what="the SMS")
    assert not notification_sandboxes.sms.faults_for[citizen["mobile"]]  # both busy answers used
    assert len(notification_sandboxes.sms.to(citizen["mobile"])) == 1


def test_a_number_the_gateway_refuses_is_failed_at_once_with_an_alert(
    api: httpx.Client, notification_sandboxes: NotificationSandboxes
) -> None:
    citizen = a_citizen()
    notification_sandboxes.sms.faults_for[citizen["mobile"]] = [411]
    code = api.post("/v1/requests", json=citizen_request(citizen=citizen)).json()["tracking_code"]

    def alert() -> list[dict]:
        history = api.get(f"/v1/requests/{code}").json()["history"]
        return [e for e in history if e["kind"] == "alert"]

    [event] = wait_for(alert, what="the alert")
    assert event["data"]["alert"] == "notification_failed"
    assert "411" in event["data"]["reason"] and "permanent" in event["data"]["reason"]


def test_a_long_persian_subject_reaches_the_reader_with_every_space() -> None:
    from email import message_from_bytes
    from email.policy import default

    from hub.core.settings import Settings
    from hub.notifications.notifiers.email import EmailNotifier
    from hub.plugins.notifier import OutgoingMessage

    # A digest's subject that lost its space in "در انتظار" (folded between encoded words).
    subject = (
        "سامانه ۱۱۱: 13 ارجاع ارسال\u200cنشده — 2026-12-04 — همه دستگاه\u200cها / all agencies"
        " — 1 پاسخ در انتظار بررسی"
    )
    notifier = EmailNotifier(Settings(smtp_from="samad@golestan111.test"))
    mail = notifier._compose(OutgoingMessage(1, "digest:1", "admin@example.test", subject, "…"))
    assert message_from_bytes(mail.as_bytes(), policy=default)["Subject"] == subject


def test_a_local_id_the_gateway_holds_for_another_number_is_not_taken_as_sent(
    notification_sandboxes: NotificationSandboxes,
) -> None:
    from hub.core.errors import NotifierError
    from hub.core.settings import get_settings
    from hub.notifications.notifiers.sms import KavenegarSmsNotifier
    from hub.plugins.notifier import OutgoingMessage

    # A local id is a row id, unique in one database: another hub on the account (or a database
    # made again) sends its own message with an id the gateway already holds for someone else.
    local_id = random.randrange(10**9, 2 * 10**9)  # none of this run's notifications
    citizen, stranger = a_citizen()["mobile"], a_citizen()["mobile"]
    notifier = KavenegarSmsNotifier(get_settings())
    try:
        sent = notifier.send(OutgoingMessage(local_id, "first", citizen, "", "کد پیگیری ۱"))
        resent = notifier.send(OutgoingMessage(local_id, "first", citizen, "", "کد پیگیری ۱"))
        with pytest.raises(NotifierError) as refused:
            notifier.send(OutgoingMessage(local_id, "other", stranger, "", "کد پیگیری ۲"))
    finally:
        notifier.close()

    assert resent == sent  # the same message sent again: the gateway's copy, rightly "sent"
    assert not notification_sandboxes.sms.to(stranger)  # the other citizen got nothing …
    assert refused.value.permanent  # … and the hub says so instead of recording it as sent
    assert f"local id {local_id}" in refused.value.message
    assert refused.value.code == "localid_taken"
