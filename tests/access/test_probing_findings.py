"""What probing the running hub found (the hardening issue), each against the real servers.

Every refusal is a 4xx problem+json naming the field, never a 500: periods and dates out of any
sensible range, agency updates dated in the future or before their referral, deep JSON sent
as text, numbers JSON does not allow; logins that tell nothing while limited, sessions that end
when idle, and an unexpected failure answered as a problem with its request id in the log.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select, update

from hub.auth.passwords import create_user
from hub.auth.roles import Role
from hub.auth.sessions import find_login, start_login
from hub.core.logs import RequestIdFilter
from hub.db.models import Referral
from hub.db.models_access import LoginSession, User
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.sandbox.server import BackgroundServer
from hub.web.app import create_app
from tests.access.conftest import WEBHOOK_SECRET
from tests.core.waiting import wait_for
from tests.support.requests import citizen_request

PROBLEM = "application/problem+json"
PASSWORD = "a-long-enough-test-password"


def _problem(answer: httpx.Response, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM, answer.headers
    body = answer.json()
    assert body["status"] == status
    assert body["type"].startswith("urn:samad-hub:problem:")
    assert body["detail"] and body["detail_fa"]
    assert body["request_id"] == answer.headers["x-request-id"]
    return body


def _paths(body: dict) -> list[str]:
    return [e["path"] for e in body.get("errors", [])]


# 1. Periods --------------------------------------------------------------------------------

BAD_PERIODS = [
    "x..y",
    "0000",
    "9999",
    "1405-13",
    "1405-02-01..1405-01-01",
    "1..2",
    "1405-Q9",
    "9999-01-01..9999-12-31",
    "1300..1499",
    "1200-01",
    "۱۵۰۰",
    "1405-01-01..x",
]


@pytest.mark.parametrize("period", BAD_PERIODS)
@pytest.mark.parametrize("route", ["/v1/stats/agencies", "/v1/stats/trend"])
def test_every_bad_period_is_a_422_naming_the_parameter_and_the_forms(
    api_as: Callable[..., httpx.Client], route: str, period: str
) -> None:
    body = _problem(api_as("supervisor").get(route, params={"period": period}), 422)
    [error] = body["errors"]
    assert error["path"] == "$.period"
    assert "1405-08 (month)" in error["message"] and "1405-Q3" in error["message"]
    assert "۱۴۰۵-۰۸ (ماه)" in error["message_fa"]


@pytest.fixture
def supervisor_browser(api_server: BackgroundServer) -> Iterator[httpx.Client]:
    name = f"sup-{uuid.uuid4().hex[:10]}"
    with session_scope() as session:
        create_user(session, name, PASSWORD, Role.SUPERVISOR)
    with httpx.Client(base_url=api_server.url, timeout=10) as client:
        _log_in(client, name)
        yield client


def _log_in(client: httpx.Client, name: str, password: str = PASSWORD) -> httpx.Response:
    form = client.get("/dashboard/login")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    return client.post(
        "/dashboard/login", data={"username": name, "password": password, "csrf_token": token}
    )


@pytest.mark.parametrize("period", ["x..y", "0000", "9999"])
@pytest.mark.parametrize("page", ["/dashboard", "/dashboard/trend"])
def test_a_bad_period_on_the_dashboard_is_a_422_page_saying_so_in_both_languages(
    supervisor_browser: httpx.Client, page: str, period: str
) -> None:
    persian = supervisor_browser.get(page, params={"period": period})
    english = supervisor_browser.get(page, params={"period": period, "lang": "en"})
    assert persian.status_code == english.status_code == 422
    assert 'id="period-problem"' in persian.text and 'id="period-problem"' in english.text
    assert "۱۴۰۵-۰۸ (ماه)" in persian.text
    assert "1405-08 (month)" in english.text and "between the years 1300 and 1499" in english.text
    good = supervisor_browser.get(page, params={"period": "1405-08"})
    assert good.status_code == 200 and 'id="period-problem"' not in good.text


# 2. Date filters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "9999-12-31"}, "$.from"),
        ({"to": "9999-12-31T23:59:59"}, "$.to"),
        ({"from": "0001-01-01T00:00:00+05:00"}, "$.from"),
        ({"from": "1999-12-31"}, "$.from"),
        ({"from": "2026-12-01", "to": "2026-01-01"}, "$.from"),
    ],
)
def test_far_and_reversed_dates_in_the_request_list_are_422s(
    api_as: Callable[..., httpx.Client], query: dict, field: str
) -> None:
    body = _problem(api_as("supervisor").get("/v1/requests", params=query), 422)
    assert _paths(body) == [field]


def test_a_sensible_date_range_still_lists(api_as: Callable[..., httpx.Client]) -> None:
    answer = api_as("supervisor").get("/v1/requests", params={"from": "2026-01-01", "to": "2027"})
    assert answer.status_code == 422  # "2027" is no date: the framework's own 422, as a problem
    assert answer.headers["content-type"] == PROBLEM
    listed = api_as("supervisor").get(
        "/v1/requests", params={"from": "2026-01-01", "to": "2099-01-01T00:00:00+03:30"}
    )
    assert listed.status_code == 200 and "items" in listed.json()


# 3. Agency updates dated where they cannot be ------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59Z",
        "2090-01-01T00:00:00Z",
        "2000-01-01T00:00:00+03:30",
        "9999-12-31T23:59:59-12:00",
        "2026-01-01T00:00:00",
    ],
)
def test_an_update_dated_impossibly_is_a_422_on_occurred_at(
    api_as: Callable[..., httpx.Client], delivered: Callable[..., dict], when: str
) -> None:
    case = delivered()
    agency = api_as("agency", agreement="golestan-water")
    answer = agency.post(
        f"/v1/agencies/golestan-water/referrals/{case['reference']}/updates",
        json={"update_id": f"u-{uuid.uuid4().hex}", "status": "ASSIGNED", "occurred_at": when},
    )
    assert _paths(_problem(answer, 422)) == ["$.occurred_at"]


def test_an_update_a_little_ahead_of_the_hubs_clock_is_taken(
    api_as: Callable[..., httpx.Client], delivered: Callable[..., dict]
) -> None:
    case = delivered()
    agency = api_as("agency", agreement="golestan-water")
    soon = (utcnow() + timedelta(minutes=2)).isoformat()
    answer = agency.post(
        f"/v1/agencies/golestan-water/referrals/{case['reference']}/updates",
        json={"update_id": f"u-{uuid.uuid4().hex}", "status": "ASSIGNED", "occurred_at": soon},
    )
    assert answer.status_code == 200, answer.text
    late = (utcnow() + timedelta(minutes=20)).isoformat()
    refused = agency.post(
        f"/v1/agencies/golestan-water/referrals/{case['reference']}/updates",
        json={"update_id": f"u-{uuid.uuid4().hex}", "status": "ASSIGNED", "occurred_at": late},
    )
    assert "future" in _problem(refused, 422)["errors"][0]["message"]


def test_an_update_from_before_its_referral_existed_is_refused(
    api_as: Callable[..., httpx.Client], delivered: Callable[..., dict]
) -> None:
    case = delivered()
    with session_scope() as session:
        created = session.scalars(
            select(Referral.created_at).where(Referral.reference == case["reference"])
        ).one()
    before = (created - timedelta(hours=1)).isoformat()
    answer = api_as("agency", agreement="golestan-water").post(
        f"/v1/agencies/golestan-water/referrals/{case['reference']}/updates",
        json={"update_id": f"u-{uuid.uuid4().hex}", "status": "ASSIGNED", "occurred_at": before},
    )
    body = _problem(answer, 422)
    assert "before the referral existed" in body["errors"][0]["message"]


# 4. Limits whatever the content type says ------------------------------------------------------


def _signed(body: bytes) -> dict[str, str]:
    import hashlib
    import hmac
    import time

    stamp = str(int(time.time()))
    mac = hmac.new(WEBHOOK_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
    return {"X-Samad-Timestamp": stamp, "X-Samad-Signature": "sha256=" + mac.hexdigest()}


def test_deep_json_sent_as_text_is_refused_by_its_depth_and_shallow_text_by_its_type(
    api_as: Callable[..., httpx.Client], webhook_agreement: str
) -> None:
    url = f"/v1/agencies/{webhook_agreement}/updates"
    citizen = api_as(None)
    deep = b"[" * 5000 + b"]" * 5000
    answer = citizen.post(
        url, content=deep, headers={**_signed(deep), "content-type": "text/plain"}
    )
    assert "nests deeper" in _problem(answer, 400)["detail"]
    flat = json.dumps({"update_id": "u-1", "referral": "x", "status": "done"}).encode()
    typed = citizen.post(url, content=flat, headers={**_signed(flat), "content-type": "text/plain"})
    assert "text/plain" in _problem(typed, 415)["detail"]
    untyped = citizen.post(url, content=flat, headers=_signed(flat))
    assert _problem(untyped, 415)["type"].endswith("unsupported-media-type")


def test_an_intake_body_sent_as_a_form_is_a_415(api: httpx.Client) -> None:
    answer = api.post("/v1/requests", data={"subject": "x"})
    assert "application/x-www-form-urlencoded" in _problem(answer, 415)["detail"]


# 7. Numbers JSON does not allow ---------------------------------------------------------------


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused_naming_the_field(api: httpx.Client, number: str) -> None:
    text = json.dumps(citizen_request(location={"county": "گرگان", "address": "خیابان"}))
    text = text.replace('"address"', f'"lat": {number}, "address"')
    answer = api.post("/v1/requests", content=text, headers={"content-type": "application/json"})
    [error] = _problem(answer, 422)["errors"]
    assert error["path"] == "$.location.lat"
    assert number in error["message"]


def test_an_integer_too_long_to_read_is_a_422(api: httpx.Client) -> None:
    text = json.dumps(citizen_request()).replace('"subject"', '"n": ' + "7" * 5000 + ', "subject"')
    answer = api.post("/v1/requests", content=text, headers={"content-type": "application/json"})
    assert "too long" in _problem(answer, 422)["errors"][0]["message"]


# 9. received_at out of range ------------------------------------------------------------------


@pytest.mark.parametrize(
    "when", ["9999-12-31T00:00:00+00:00", "9999-12-31T23:00:00-10:00", "0001-01-01T00:00:00+05:00"]
)
def test_received_at_out_of_range_says_out_of_range(api: httpx.Client, when: str) -> None:
    answer = api.post("/v1/requests", json=citizen_request(received_at=when))
    [error] = _problem(answer, 422)["errors"]
    assert error["path"] == "$.received_at"
    assert "out of range" in error["message"]


# 5. Logins tell nothing while limited --------------------------------------------------------


def test_while_an_account_is_limited_the_right_password_gets_the_same_429(
    api_server: BackgroundServer,
) -> None:
    name = f"op-{uuid.uuid4().hex[:10]}"
    with session_scope() as session:
        create_user(session, name, PASSWORD, Role.OPERATOR)
    answers = []
    for attempt in range(10):  # SAMAD_LOGIN_RATE_PER_ACCOUNT is 10/minute: from ten addresses
        with httpx.Client(
            base_url=api_server.url, headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}"}
        ) as client:
            answers.append(_log_in(client, name, "wrong-password").status_code)
    assert answers == [401] * 10
    limited = []
    for password in ("wrong-password", PASSWORD, "another-guess", PASSWORD):
        with httpx.Client(
            base_url=api_server.url, headers={"X-Forwarded-For": "203.0.113.99"}
        ) as client:
            answer = _log_in(client, name, password)
            limited.append((answer.status_code, answer.headers.get("retry-after") is not None))
            assert "samad_session" not in answer.headers.get("set-cookie", "")
    assert limited == [(429, True)] * 4


def test_while_an_address_is_limited_no_account_is_checked_from_it(
    api_server: BackgroundServer,
) -> None:
    name = f"op-{uuid.uuid4().hex[:10]}"
    with session_scope() as session:
        create_user(session, name, PASSWORD, Role.OPERATOR)
    address = {"X-Forwarded-For": f"198.18.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"}
    with httpx.Client(base_url=api_server.url, headers=address) as client:
        failures = [_log_in(client, f"nobody-{i}", "x").status_code for i in range(10)]
        right = _log_in(client, name, PASSWORD)
    assert failures == [401] * 10
    assert right.status_code == 429
    with httpx.Client(base_url=api_server.url, headers={"X-Forwarded-For": "198.19.0.1"}) as other:
        assert _log_in(other, name, PASSWORD).status_code == 303  # the person, elsewhere


# 6. Sessions end when idle --------------------------------------------------------------------


def test_a_session_ends_after_its_idle_time_and_each_use_restarts_the_clock(
    database: str,
) -> None:
    with session_scope() as session:
        user = create_user(session, f"idle-{uuid.uuid4().hex[:8]}", PASSWORD, Role.SUPERVISOR)
        began = utcnow()
        cookie, _ = start_login(session, session.get_one(User, user.id), now=began)
    # SAMAD_SESSION_IDLE_MINUTES defaults to 30
    with session_scope() as session:
        assert find_login(session, cookie, now=began + timedelta(minutes=20)) is not None
    with session_scope() as session:  # used at +20: alive until +50
        assert find_login(session, cookie, now=began + timedelta(minutes=45)) is not None
    with session_scope() as session:  # used at +45: alive until +75
        assert find_login(session, cookie, now=began + timedelta(minutes=74)) is not None
    with session_scope() as session:
        assert find_login(session, cookie, now=began + timedelta(minutes=74 + 31)) is None


def test_an_idle_session_sends_the_browser_back_to_log_in(
    supervisor_browser: httpx.Client,
) -> None:
    assert supervisor_browser.get("/dashboard").status_code == 200
    cookie = supervisor_browser.cookies.get("samad_session")
    assert cookie
    with session_scope() as session:
        login = session.scalars(select(LoginSession).order_by(LoginSession.id.desc())).first()
        assert login is not None
        session.execute(
            update(LoginSession)
            .where(LoginSession.id == login.id)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    answer = supervisor_browser.get("/dashboard", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/dashboard/login")


# 8. An unexpected failure is a problem too, its request id in the log -------------------------


@pytest.fixture
def failing_api(database: str) -> Iterator[BackgroundServer]:
    app: FastAPI = create_app()

    @app.get("/v1/test-only/fails")
    def fails() -> None:
        raise RuntimeError("a bug nobody expected")

    with BackgroundServer(app) as server:
        yield server


def test_an_unexpected_exception_is_a_500_problem_with_its_request_id_logged_once(
    failing_api: BackgroundServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    caplog.handler.addFilter(RequestIdFilter())  # what every handler of the CLI's logging has
    answer = httpx.get(
        failing_api.url + "/v1/test-only/fails", headers={"X-Request-ID": "probe-1234"}
    )
    body = _problem(answer, 500)
    assert body["request_id"] == "probe-1234"
    assert "a bug nobody expected" not in answer.text  # nothing of the inside leaks
    tracebacks = [
        r for r in caplog.records if r.exc_info and "a bug nobody expected" in str(r.exc_info[1])
    ]
    assert len(tracebacks) == 1
    assert getattr(tracebacks[0], "request_id", None) == "probe-1234"

    def access() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "hub.api.access"]

    # The access line is written as the response ends, in the server's thread: the client may
    # hold the answer a moment before it is there.
    wait_for(
        lambda: any(line.startswith("GET /v1/test-only/fails 500") for line in access()),
        timeout=10,
        what="the access line of the 500",
    )


def test_a_request_id_that_is_not_a_plain_token_is_replaced(
    api_as: Callable[..., httpx.Client],
) -> None:
    answer = api_as(None).get("/v1/requests/1", headers={"X-Request-ID": "evil id<script>"})
    assert answer.headers["x-request-id"] != "evil id<script>"
    assert _problem(answer, 404)["request_id"] == answer.headers["x-request-id"]


def test_the_openapi_document_says_every_error_is_problem_json(
    api_server: BackgroundServer,
) -> None:
    document = httpx.get(api_server.url + "/openapi.json").json()
    assert "Problem" in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            errors = {c: r for c, r in operation["responses"].items() if c[0] in "45"}
            assert "4XX" in errors and "5XX" in errors, (method, path)
            for code, response in errors.items():
                assert list(response["content"]) == [PROBLEM], (method, path, code)
