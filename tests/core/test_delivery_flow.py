"""A request's whole path on real servers: API → PostgreSQL → Redis → Celery worker → agency.

The worker is a separate process with beat; the agency is the REST sandbox over HTTP, moving
tickets through its own statuses every 0.4 s; the hub polls it every second.
"""

from __future__ import annotations

import httpx
import pytest

from tests.core.waiting import wait_for, wait_for_states
from tests.support.fixtures import PUSHES, Sandboxes
from tests.support.requests import citizen_request
from tests.support.tickets import assert_one_ticket_each

pytestmark = pytest.mark.usefixtures("worker")


def test_a_request_reaches_the_agency_and_its_result_comes_back(
    api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    body = wait_for_states(api, code, ["resolved"])
    referral = body["referrals"][0]
    ticket = clean_sandboxes.water.tickets.describe(
        clean_sandboxes.water.tickets.get(referral["external_id"])
    )
    assert ticket["title"] == "قطعی آب در خیابان ولیعصر"
    assert ticket["data"]["ref"] == referral["reference"]
    assert ticket["data"]["caller"] == {"mobile": "09121234567", "name": "مریم احمدی"}
    assert "national_id" not in str(ticket["data"])  # not shared with this agency
    assert body["result"] and body["result"] == ticket["resolution"]
    assert body["status"] == "resolved"  # the request itself, once its one referral is
    moves = [
        (e["from_state"], e["to_state"])
        for e in body["history"]
        if e["kind"] == "referral.state_changed"
    ]
    assert moves[0] == ("pending", "delivering")
    assert ("delivering", "delivered") in moves
    assert moves[-1][1] == "resolved"


def test_a_transient_agency_failure_is_retried_until_delivered(
    api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    clean_sandboxes.water.faults.set("error500", 2, 0, **PUSHES)  # pushes only
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    body = wait_for_states(api, code, ["resolved"])
    kinds = [e["kind"] for e in body["history"]]
    assert kinds.count("delivery.retry_scheduled") == 2
    assert body["referrals"][0]["attempts"] == 3


def test_a_permanent_refusal_fails_the_delivery_at_once_with_an_alert(
    api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    clean_sandboxes.water.faults.set("reject400", 1, 0, **PUSHES)  # pushes only
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    body = wait_for_states(api, code, ["delivery_failed"])
    referral = body["referrals"][0]
    assert referral["attempts"] == 1
    assert "400" in referral["last_error"]
    alerts = [e for e in body["history"] if e["kind"] == "alert"]
    assert alerts and alerts[0]["data"]["alert"] == "delivery_failed"


def test_an_agency_down_for_good_ends_in_delivery_failed_after_the_retry_limit(
    api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    clean_sandboxes.water.faults.set("error500", 4, 0, **PUSHES)  # pushes only
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    body = wait_for_states(api, code, ["delivery_failed"])
    assert body["referrals"][0]["attempts"] == 4
    assert "gave up after 4 attempts" in body["referrals"][0]["last_error"]


@pytest.mark.parametrize(
    "garbage",
    [
        "garbage",  # an HTML page instead of the answer, before the CRM opened anything
        "created_then_garbage",  # the CRM opened the ticket, then answered with an HTML page
    ],
)
def test_garbage_from_the_agency_is_retried_and_never_opens_a_second_ticket(
    api: httpx.Client, clean_sandboxes: Sandboxes, garbage: str
) -> None:
    clean_sandboxes.water.faults.set(garbage, 1, 0, **PUSHES)  # pushes only
    code = api.post("/v1/requests", json=citizen_request()).json()["tracking_code"]
    body = wait_for_states(api, code, ["resolved"])
    assert body["referrals"][0]["attempts"] == 2  # the garbage, then the retry
    assert_one_ticket_each(clean_sandboxes.water.tickets, [body["referrals"][0]["reference"]])


def test_a_returned_case_is_rerouted_to_the_next_agency_that_covers_it(
    api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    request = citizen_request(description="این محله تحت پوشش آب روستایی است [return]")
    code = api.post("/v1/requests", json=request).json()["tracking_code"]
    # The rural company's sandbox also returns [return] cases; then nobody is left: triage.
    body = wait_for_states(api, code, ["rerouted", "rerouted"], timeout=45)
    assert [r["agreement_id"] for r in body["referrals"]] == [
        "golestan-water",
        "golestan-rural-water",
    ]
    assert wait_for(lambda: api.get(f"/v1/requests/{code}").json()["status"] == "triage")


def test_a_power_outage_goes_to_the_soap_case_registry_and_its_answer_comes_back(
    api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    request = citizen_request(
        category="power.outage",
        subject="قطعی برق کوچه",
        description="برق کوچه ما از ساعت ۱۸ قطع است.",
    )
    code = api.post("/v1/requests", json=request).json()["tracking_code"]
    body = wait_for_states(api, code, ["resolved"])
    case_number = body["referrals"][0]["external_id"]
    assert case_number.startswith("BRQ/")
    assert clean_sandboxes.power.stats()["duplicates"] == 0
    assert body["result"]


def test_a_street_light_complaint_is_mailed_to_the_municipality_and_the_reply_resolves_it(
    api: httpx.Client, clean_sandboxes: Sandboxes
) -> None:
    request = citizen_request(
        category="municipality.street_light",
        subject="خاموشی چراغ‌های بلوار",
        description="چراغ‌های بلوار ناهارخوران دو شب است خاموش هستند.",
    )
    code = api.post("/v1/requests", json=request).json()["tracking_code"]
    body = wait_for_states(api, code, ["resolved"])
    reference = body["referrals"][0]["reference"]
    mails = [m for m in clean_sandboxes.municipality.received if reference in str(m["Subject"])]
    assert len(mails) == 1
    assert body["result"]
