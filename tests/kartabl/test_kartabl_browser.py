"""The kartabl in a real browser: Playwright driving Debian's Chromium against the real API.

A lead logs in, sees the inbox, opens a referral (viewed), forwards it to a unit and a
colleague; the colleague records the final result. Every page is shot under test-artifacts/,
at desktop width and on a 360-px phone, in Persian and in English.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from hub.db.models import Referral
from hub.db.session import session_scope
from tests.kartabl.conftest import AQQALA, Filed
from tests.supervision.logins import PASSWORD
from tests.support.browser import chromium, shot

PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def open_page(browser: Browser, api: httpx.Client) -> Iterator[Callable[..., Page]]:
    contexts = []

    def make(username: str, viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(
            base_url=str(api.base_url), viewport=viewport or {"width": 1280, "height": 900}
        )
        contexts.append(context)
        page = context.new_page()
        page.goto("/dashboard/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url("**/kartabl")
        return page

    yield make
    for context in contexts:
        context.close()


def _fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_a_lead_opens_and_forwards_and_a_colleague_records_the_result(
    filed: Callable[..., Filed], person: Callable[..., str], open_page: Callable[..., Page]
) -> None:
    older = filed()
    case = filed()
    lead_page = open_page(person("agency-lead", AQQALA))
    assert lead_page.get_attribute("html", "dir") == "rtl"
    assert lead_page.locator(f"li.case.new[data-reference='{case.reference}']").count() == 1
    first = lead_page.locator("li.case").first.get_attribute("data-reference")
    assert first in (case.reference, older.reference)  # new ones first, the newest on top
    assert lead_page.locator("#logout button").inner_text() == "خروج"
    shot(lead_page, "kartabl-inbox")
    lead_page.click(f"li.case[data-reference='{case.reference}'] a.open")
    lead_page.wait_for_selector("#viewed")
    assert lead_page.inner_text("#state") == "رؤیت شده"
    shot(lead_page, "kartabl-referral")
    staff_name = person("agency-staff", AQQALA, "roads")
    lead_page.select_option("#forward select[name=unit]", "roads")
    lead_page.fill("#forward input[name=assignee]", staff_name)
    lead_page.fill("#forward textarea[name=text]", "لطفاً تا پایان هفته رسیدگی شود")
    lead_page.click("#forward button")
    lead_page.wait_for_selector("#done")
    assert lead_page.inner_text("#state") == "ارجاع داخلی"

    staff_page = open_page(staff_name)
    mine = staff_page.locator(f"li.case[data-reference='{case.reference}']")
    assert staff_page.locator(f"li.case[data-reference='{older.reference}']").count() == 0
    mine.locator("a.open").click()
    staff_page.fill("#result-form textarea[name=text]", "لامپ‌ها تعویض شد.")
    staff_page.click("#result-form button")  # no outcome chosen
    staff_page.wait_for_selector("#problems")
    assert staff_page.input_value("#result-form textarea[name=text]") == "لامپ‌ها تعویض شد."
    shot(staff_page, "kartabl-form-problem")
    staff_page.select_option("#result-form select[name=outcome]", "done")
    staff_page.click("#result-form button")
    staff_page.wait_for_selector("#done")
    assert staff_page.inner_text("#state") == "پاسخ داده شده"
    assert staff_page.inner_text("#result") == "لامپ‌ها تعویض شد."
    shot(staff_page, "kartabl-resolved")
    with session_scope() as session:
        referral = session.get_one(Referral, case.referral_id)
        assert (referral.state, referral.outcome) == ("resolved", "successful")


def test_the_kartabl_switches_to_english_and_fits_a_phone(
    filed: Callable[..., Filed], person: Callable[..., str], open_page: Callable[..., Page]
) -> None:
    case = filed()
    lead_name = person("agency-lead", AQQALA)
    phone = open_page(lead_name, PHONE)
    _fits(phone, PHONE["width"])
    shot(phone, "kartabl-inbox-phone")
    phone.goto(f"/kartabl/referrals/{case.reference}")
    _fits(phone, PHONE["width"])
    shot(phone, "kartabl-referral-phone")
    english = open_page(lead_name)
    english.click("#language")
    english.wait_for_url("**lang=en")
    assert english.get_attribute("html", "dir") == "ltr"
    assert "Inbox" in english.inner_text("nav")
    shot(english, "kartabl-inbox-en")
    english.goto("/kartabl/users?lang=fa")
    assert english.locator("#people tbody tr").count() >= 1
    shot(english, "kartabl-users")


def test_the_supervising_office_sees_each_kartabl_read_only(
    filed: Callable[..., Filed],
    person: Callable[..., str],
    browser: Browser,
    api: httpx.Client,
) -> None:
    filed()
    context = browser.new_context(base_url=str(api.base_url))
    page = context.new_page()
    page.goto("/dashboard/login")
    page.fill("input[name=username]", person("supervisor"))
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    page.click("text=کارتابل دستگاه‌ها")
    page.wait_for_selector("#kartabls")
    assert page.locator(f"#kartabls tr[data-agreement='{AQQALA}']").count() == 1
    assert page.locator("form").count() == 1  # logging out: nothing to change here
    shot(page, "kartabl-supervision")
    context.close()
