"""The review queue and the agency's files in a real browser: Playwright driving Chromium against
the real API, the real worker polling a real Dovecot. Screenshots land in test-artifacts/."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.core.waiting import wait_for, wait_for_states
from tests.replies.agency import MailAgency
from tests.replies.reading import (
    attachments_of,
    events_of,
    messages_of,
    referral,
    reviews_of,
    updates_of,
)
from tests.supervision.logins import PASSWORD, log_in
from tests.support.browser import chromium, shot

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(180)]
# A one-page PDF, as an agency's secretariat scans an official letter.
LETTER_PDF = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n"
    b"3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>> endobj\n"
    b"trailer <</Root 1 0 R>>\n%%EOF\n"
)
SCAN_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(64)
UNREADABLE = "با سلام و احترام\nبازدید انجام شد؛ گزارش کارشناس پیوست است."


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def log_in_as(
    browser: Browser, api: httpx.Client, dashboard_user: Callable[[str], str]
) -> Iterator[Callable[[str], Page]]:
    contexts = []

    def page_of(role: str) -> Page:
        context = browser.new_context(base_url=str(api.base_url))
        contexts.append(context)
        page = context.new_page()
        page.goto("/dashboard/login")
        page.fill("input[name=username]", dashboard_user(role))
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        # Supervisors and admins land on the league table, the 111 operators on the replies.
        page.wait_for_url("**/dashboard/replies" if role == "operator" else "**/dashboard")
        return page

    yield page_of
    for context in contexts:
        context.close()


def test_an_operator_reads_an_unreadable_reply_and_applies_what_it_means_in_one_action(
    api: httpx.Client, agency: MailAgency, log_in_as: Callable[[str], Page]
) -> None:
    referred = agency.refer(api)
    agency.reply(referred, UNREADABLE, ((SCAN_JPEG, "image", "jpeg", "گزارش-بازدید.jpg"),))
    review = wait_for(lambda: reviews_of(agency.agreement_id), what="a review")[0]
    page = log_in_as("operator")  # the 111 desk reads the agencies' replies

    page.goto("/dashboard/replies?lang=en")
    shot(page, "replies-en")
    english = page.locator(f"article[data-review='{review.id}']").inner_text()
    page.goto("/dashboard/replies")
    article = page.locator(f"article[data-review='{review.id}']")
    shot(page, "replies-fa")
    persian = article.inner_text()
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert "بازدید انجام شد؛ گزارش کارشناس پیوست است." in persian
    assert referred.reference in persian and "گزارش-بازدید.jpg" in persian
    assert "۱۴۰" in persian  # the Jalali date it came, in Persian digits
    assert "Why it was not read" in english and "STATUS" in english
    assert "سطر «وضعیت: …» در ابتدای پاسخ نیست" in persian  # why, in Persian
    assert "line at the top" not in persian  # not the connector's English sentence
    article.locator("select[name=state]").select_option("resolved")
    article.locator("textarea[name=result]").fill("بازدید انجام و مشکل برطرف شد.")
    article.get_by_role("button", name="ثبت وضعیت").click()
    page.wait_for_url("**/dashboard/replies?*")
    shot(page, "replies-applied")

    assert "وضعیت ثبت شد" in page.locator("#applied").inner_text()
    assert page.locator(f"article[data-review='{review.id}']").count() == 0
    assert page.locator(f"#decided tr[data-review='{review.id}']").count() == 1
    body = wait_for_states(api, referred.code, ["resolved"])
    assert body["referrals"][0]["result"] == "بازدید انجام و مشکل برطرف شد."
    [moved] = [
        e
        for e in events_of(referred.referral_id, "referral.state_changed")
        if e.to_state == "resolved"
    ]
    [decided] = events_of(referred.referral_id, "update.reviewed")
    assert moved.actor.startswith("user:replies-operator-") and decided.actor == moved.actor
    page.locator(f"#decided tr[data-review='{review.id}'] a").first.click()  # the whole story
    page.wait_for_url(f"**/dashboard/requests/{referred.code}*")
    assert "پاسخ داده شده" in page.locator("#referrals").inner_text()  # the operator sees it
    assert page.locator("#logout").count() == 1


def test_a_supervisor_reads_the_queue_but_decides_nothing(
    api: httpx.Client, agency: MailAgency, log_in_as: Callable[[str], Page]
) -> None:
    referred = agency.refer(api)
    agency.reply(referred, UNREADABLE)
    review = wait_for(lambda: reviews_of(agency.agreement_id), what="a review")[0]
    page = log_in_as("supervisor")

    page.goto("/dashboard/replies")
    article = page.locator(f"article[data-review='{review.id}']")

    assert "بازدید انجام شد" in article.inner_text()
    assert article.locator("form").count() == 0
    answer = page.request.post(f"/dashboard/replies/{review.id}/dismiss", form={"why": "x"})
    assert answer.status == 403
    assert reviews_of(agency.agreement_id)[0].state == "pending"


def test_a_pdf_letter_is_kept_with_the_referral_and_served_only_to_supervisors_and_admins(
    api: httpx.Client,
    agency: MailAgency,
    log_in_as: Callable[[str], Page],
    dashboard_user: Callable[[str], str],
) -> None:
    referred = agency.refer(api)
    reply = agency.reply(
        referred,
        "وضعیت: رسیدگی شد\nنامه رسمی پاسخ به پیوست است.",
        ((LETTER_PDF, "application", "pdf", "نامه-پاسخ-۱۲۳.pdf"),),
    )
    wait_for_states(api, referred.code, ["resolved"])
    [message] = messages_of(agency.agreement_id)
    [letter] = attachments_of(message.id)
    page = log_in_as("supervisor")

    page.goto(f"/dashboard/requests/{referred.code}")
    link = page.locator("#messages a[href^='/dashboard/attachments/']")
    shot(page, "timeline-attachment")
    href = link.get_attribute("href") or ""
    downloaded = page.request.get(href)
    with httpx.Client(base_url=str(api.base_url)) as visitor:
        refused = visitor.get(href)
    with httpx.Client(base_url=str(api.base_url)) as clerk:  # another agency's clerk
        forbidden = log_in(clerk, dashboard_user("agency")).get(href)

    assert (letter.filename, letter.content_type) == ("نامه-پاسخ-۱۲۳.pdf", "application/pdf")
    assert letter.size == len(LETTER_PDF) and letter.content == LETTER_PDF
    assert letter.sha256 == hashlib.sha256(LETTER_PDF).hexdigest()
    assert message.referral_id == referred.referral_id
    assert link.inner_text() == "نامه-پاسخ-۱۲۳.pdf"
    assert downloaded.status == 200 and downloaded.body() == LETTER_PDF
    assert downloaded.headers["content-type"] == "application/pdf"
    assert downloaded.headers["content-disposition"].startswith("attachment;")
    assert refused.status_code == 303 and "/dashboard/login" in refused.headers["location"]
    assert forbidden.status_code == 403
    assert agency.flags_in(agency.processed_mailbox, str(reply["Message-ID"])) is not None
    assert agency.flags_in("Needs review", str(reply["Message-ID"])) is None
    assert reviews_of(agency.agreement_id) == []


def test_a_late_reply_is_a_note_on_the_referral_and_the_citizens_result_stays(
    api: httpx.Client, agency: MailAgency, log_in_as: Callable[[str], Page]
) -> None:
    referred = agency.refer(api)
    agency.refer(api)  # still open: the agency's mailbox is polled on its behalf
    agency.reply(referred, "وضعیت: رسیدگی شد\nچاله خیابان پر و آسفالت شد.")
    wait_for_states(api, referred.code, ["resolved"])
    agency.reply(referred, "وضعیت: رسیدگی شد\nاصلاحیه: آسفالت کل کوچه هفته بعد انجام می‌شود.")

    late = wait_for(
        lambda: [u for u in updates_of(agency.agreement_id) if u.outcome == "late_note"],
        what="the late reply stored",
    )
    page = log_in_as("supervisor")
    page.goto(f"/dashboard/requests/{referred.code}")
    shot(page, "timeline-late-note")
    body = api.get(f"/v1/requests/{referred.code}").json()
    [note] = events_of(referred.referral_id, "referral.late_reply")

    assert len(late) == 1
    assert referral(referred.referral_id).result == "چاله خیابان پر و آسفالت شد."
    assert body["referrals"][0]["result"] == "چاله خیابان پر و آسفالت شد."
    assert note.data["note"] == "اصلاحیه: آسفالت کل کوچه هفته بعد انجام می‌شود."
    assert [m.late for m in messages_of(agency.agreement_id)] == [False, True]
    assert "اصلاحیه: آسفالت کل کوچه" in page.locator("#late-notes").inner_text()
    row = page.locator(f"#referrals tr[data-reference='{referred.reference}']").inner_text()
    assert "چاله خیابان پر و آسفالت شد." in row and "اصلاحیه" not in row
    assert reviews_of(agency.agreement_id) == []


def test_the_replies_page_has_a_logout_that_ends_the_session_and_turns_an_agency_away(
    api: httpx.Client, log_in_as: Callable[[str], Page], dashboard_user: Callable[[str], str]
) -> None:
    page = log_in_as("supervisor")
    page.goto("/dashboard/replies")
    page.locator("#logout").get_by_role("button", name="خروج").click()
    page.wait_for_url("**/dashboard/login*")
    page.goto("/dashboard/replies")
    with httpx.Client(base_url=str(api.base_url)) as clerk:
        answer = log_in(clerk, dashboard_user("agency")).get("/dashboard/replies")

    assert "/dashboard/login" in page.url
    assert answer.status_code == 403  # an agency's clerk: not every agency's replies
