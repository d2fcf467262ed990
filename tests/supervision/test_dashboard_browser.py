"""The dashboard in a real browser: Playwright driving Debian's Chromium against the real API.

Every page needs a login: each test logs in through the real form (a supervisor, or an admin to
resend).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.core.waiting import wait_for_states
from tests.supervision.logins import PASSWORD
from tests.support.browser import chromium, shot
from tests.support.fixtures import PUSHES, Sandboxes
from tests.support.requests import citizen_request

pytestmark = pytest.mark.usefixtures("worker")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def visitor(browser: Browser, api: httpx.Client) -> Iterator[Page]:
    """A browser page nobody has logged in on."""
    context = browser.new_context(base_url=str(api.base_url))
    page = context.new_page()
    yield page
    context.close()


def _log_in(page: Page, username: str) -> Page:
    page.goto("/dashboard/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    return page


@pytest.fixture
def page(visitor: Page, dashboard_user: Callable[[str], str]) -> Page:
    """A supervisor logged in through the real login form."""
    return _log_in(visitor, dashboard_user("supervisor"))


@pytest.fixture
def admin_page(visitor: Page, dashboard_user: Callable[[str], str]) -> Page:
    return _log_in(visitor, dashboard_user("admin"))


def test_the_league_table_is_persian_right_to_left_with_a_row_per_agency(
    page: Page, api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    wait_for_states(api, code, ["resolved"])
    page.goto("/dashboard")
    shot(page, "league-fa")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("h1").inner_text() == "داشبورد نظارت سامد"
    water = page.locator("#league tbody tr[data-agency='golestan-water']")
    assert "شرکت آب و فاضلاب استان گلستان" in water.inner_text()
    assert page.locator("#league tfoot tr.province").inner_text().startswith("کل استان")
    page.click("#language")
    shot(page, "league-en")
    assert page.locator("html").get_attribute("dir") == "ltr"
    assert "Golestan Province Water" in page.locator("#league tbody").inner_text()


def test_a_visitor_who_has_not_logged_in_is_sent_to_the_login_form(visitor: Page) -> None:
    visitor.goto("/dashboard/overdue")
    assert "/dashboard/login" in visitor.url
    assert "next=/dashboard/overdue" in visitor.url.replace("%2F", "/")
    assert visitor.locator("input[name=password]").count() == 1


def test_the_league_table_shows_each_agencys_delivery_breaker(page: Page) -> None:
    page.goto("/dashboard?lang=en")
    water = page.locator("#league tbody tr[data-agency='golestan-water'] td.breaker")
    assert water.inner_text() in ("closed", "open (agency system down)", "half open (probing)")


def test_the_trend_page_draws_a_chart_per_agency(page: Page, api: httpx.Client) -> None:
    page.goto("/dashboard/trend")
    shot(page, "trend")
    charts = page.locator("svg.chart")
    assert charts.count() >= 2
    assert page.locator("svg.chart polyline.line").count() >= 1


def test_a_timeline_shows_jalali_dates_and_every_delivery_attempt(
    page: Page, api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    wait_for_states(api, code, ["resolved"])
    page.goto(f"/dashboard/requests/{code}")
    shot(page, "timeline")
    events = page.locator("#events tbody tr")
    assert events.count() >= 4
    assert "۱۴۰" in events.first.inner_text()  # a Jalali year in Persian digits
    assert "تحویل شد" in page.locator("#attempts").inner_text()  # how the attempt ended
    assert "pending" not in page.locator("#events").inner_text()  # states in Persian, not codes
    assert "در صف ارسال" in page.locator("#events").inner_text()
    assert page.locator("#updates tbody tr").count() >= 1


def test_a_failed_delivery_is_resent_from_the_failures_page_by_an_admin(
    admin_page: Page, api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    page = admin_page
    clean_sandboxes.water.faults.set("reject400", 1, 0, **PUSHES)  # a push, not a poll
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    body = wait_for_states(api, code, ["delivery_failed"])
    reference = body["referrals"][0]["reference"]
    page.goto("/dashboard/failures")
    row = page.locator(f"#failures tr[data-reference='{reference}']")
    assert "400" in row.inner_text()
    row.get_by_role("button", name="ارسال دوباره").click()
    page.wait_for_url("**/dashboard/failures?*")
    shot(page, "resent")
    assert reference in page.locator("#resent").inner_text()
    wait_for_states(api, code, ["resolved"])


def test_a_supervisor_sees_failed_deliveries_but_no_resend_button(
    page: Page, api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    clean_sandboxes.water.faults.set("reject400", 1, 0, **PUSHES)  # a push, not a poll
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    body = wait_for_states(api, code, ["delivery_failed"])
    reference = body["referrals"][0]["reference"]
    page.goto("/dashboard/failures")
    row = page.locator(f"#failures tr[data-reference='{reference}']")
    assert "400" in row.inner_text()
    assert row.get_by_role("button").count() == 0


def _made_unconfirmed(api: httpx.Client) -> tuple[str, str, str]:
    """A request whose referral reached the water company and is then, as after an answer the
    hub could not read at an agency without de-duplication, unconfirmed: (code, reference, the
    ticket the agency holds)."""
    from sqlalchemy import update

    from hub.db.models import Referral
    from hub.db.session import session_scope

    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    body = wait_for_states(api, code, ["delivered"])
    referral = body["referrals"][0]
    with session_scope() as session:
        session.execute(
            update(Referral)
            .where(Referral.reference == referral["reference"])
            .values(
                state="unconfirmed",
                external_id=None,
                next_poll_at=None,
                next_attempt_at=None,
                last_error="answer unclear, the agency may hold the case: HTTP 502",
            )
        )
    return code, referral["reference"], referral["external_id"]


def test_an_admin_records_the_case_id_of_an_unconfirmed_delivery_and_it_is_followed_up(
    admin_page: Page, api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    page = admin_page
    code, reference, ticket = _made_unconfirmed(api)
    page.goto("/dashboard/failures")
    row = page.locator(f"#unconfirmed tr[data-reference='{reference}']")
    assert "502" in row.inner_text()
    assert "ممکن است پرونده را ثبت کرده باشد" in page.locator("main").inner_text()
    shot(page, "unconfirmed")
    row.locator("input[name=external_id]").fill(ticket)
    row.get_by_role("button", name="ثبت شماره پرونده").click()
    page.wait_for_url("**/dashboard/failures?*")
    assert reference in page.locator("#confirmed").inner_text()
    assert page.locator(f"#unconfirmed tr[data-reference='{reference}']").count() == 0
    wait_for_states(api, code, ["resolved"])  # polled again: the case goes on at the agency


def test_an_unconfirmed_delivery_is_sent_again_only_when_the_admin_accepts_a_duplicate(
    admin_page: Page, api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    page = admin_page
    code, reference, _ = _made_unconfirmed(api)
    page.goto("/dashboard/failures?lang=en")
    row = page.locator(f"#unconfirmed tr[data-reference='{reference}']")
    assert "may hold the case" in page.locator("main").inner_text()
    checkbox = row.locator("input[name=may_duplicate]")
    assert checkbox.get_attribute("required") is not None  # the browser asks for the tick first
    checkbox.check()
    row.get_by_role("button", name="Send again").click()
    page.wait_for_url("**/dashboard/failures?*")
    shot(page, "unconfirmed-resent")
    assert reference in page.locator("#resent").inner_text()
    wait_for_states(api, code, ["resolved"])


def test_a_resend_of_an_unconfirmed_delivery_without_the_tick_is_refused(
    admin_page: Page, api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    page = admin_page
    _, reference, _ = _made_unconfirmed(api)
    page.goto("/dashboard/failures")
    token = page.locator("#unconfirmed input[name=csrf_token]").first.get_attribute("value")
    answer = page.request.post(  # the form posted without the box ticked (a stale page, a script)
        f"/dashboard/failures/{reference}/resend", form={"csrf_token": token or ""}
    )
    assert answer.ok and f"refused={reference}" in answer.url
    page.goto(answer.url)
    assert reference in page.locator("#refused").inner_text()
    assert page.locator(f"#unconfirmed tr[data-reference='{reference}']").count() == 1


@pytest.mark.parametrize("path", ["", "/trend", "/overdue", "/violations", "/failures"])
def test_every_page_has_a_logout_that_ends_the_session(page: Page, path: str) -> None:
    page.goto(f"/dashboard{path}")
    page.locator("#logout").get_by_role("button", name="خروج").click()
    page.wait_for_url("**/dashboard/login*")
    page.goto(f"/dashboard{path}")  # the session is gone, not just the page left
    assert "/dashboard/login" in page.url
    assert page.locator("input[name=username]").count() == 1


def test_a_delivery_in_flight_shows_with_its_workers_lease(
    page: Page, api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from hub.db.models import Referral
    from hub.db.session import session_scope
    from hub.db.types import utcnow

    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    reference = wait_for_states(api, code, ["delivered"])["referrals"][0]["reference"]
    lease = utcnow() + timedelta(hours=1)
    where = update(Referral).where(Referral.reference == reference)
    with session_scope() as session:  # as a batch holds it while its worker pushes
        session.execute(where.values(state="delivering", next_attempt_at=lease))
    try:
        page.goto("/dashboard/failures")
        row = page.locator(f"#in-flight tr[data-reference='{reference}']")
        assert "۱۴۰" in row.inner_text()  # the lease's end, a Jalali date in Persian digits
        shot(page, "in-flight")
    finally:
        with session_scope() as session:
            session.execute(where.values(state="delivered", next_attempt_at=None))
