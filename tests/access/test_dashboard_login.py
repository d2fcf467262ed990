"""Dashboard logins over real HTTP: CSRF on every form, and a cookie scripts cannot read."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from hub.auth.passwords import create_user
from hub.auth.roles import Role
from hub.auth.sessions import CSRF_HEADER, SESSION_COOKIE, find_login
from hub.core.settings import get_settings
from hub.db.session import session_scope
from hub.sandbox.server import BackgroundServer

PASSWORD = "a-long-enough-test-password"
LOGIN_CSRF_COOKIE = "samad_login_csrf"


@pytest.fixture
def operator_name(api_server: BackgroundServer) -> str:
    name = f"op-{uuid.uuid4().hex[:10]}"
    with session_scope() as session:
        create_user(session, name, PASSWORD, Role.OPERATOR)
    return name


@pytest.fixture
def browser(api_server: BackgroundServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=api_server.url, timeout=10) as client:
        yield client


def _form_token(browser: httpx.Client) -> str:
    form = browser.get("/dashboard/login")
    assert form.status_code == 200
    return form.text.split('name="csrf_token" value="')[1].split('"')[0]


def _log_in(browser: httpx.Client, username: str) -> httpx.Response:
    token = _form_token(browser)
    return browser.post(
        "/dashboard/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )


def _set_cookie(answer: httpx.Response, name: str) -> str:
    [header] = [h for h in answer.headers.get_list("set-cookie") if h.startswith(f"{name}=")]
    return header.lower()


def test_a_login_form_posted_without_its_csrf_token_logs_nobody_in(
    browser: httpx.Client, operator_name: str
) -> None:
    token = _form_token(browser)
    credentials = {"username": operator_name, "password": PASSWORD}
    missing = browser.post("/dashboard/login", data=credentials)
    wrong = browser.post("/dashboard/login", data={**credentials, "csrf_token": "forged"})
    with httpx.Client(base_url=str(browser.base_url), timeout=10) as other_site:
        # A page elsewhere posting the form: it may copy a token, never the SameSite cookie.
        cross_site = other_site.post("/dashboard/login", data={**credentials, "csrf_token": token})
    assert missing.status_code == 422
    assert [e["path"] for e in missing.json()["errors"]] == ["$.csrf_token"]
    for answer in (wrong, cross_site):
        assert answer.status_code == 403
        assert "CSRF" in answer.json()["detail"] and answer.json()["detail_fa"]
    for answer in (missing, wrong, cross_site):
        assert SESSION_COOKIE not in answer.headers.get("set-cookie", "")


def test_the_session_cookie_is_httponly_and_samesite(
    browser: httpx.Client, operator_name: str
) -> None:
    form = browser.get("/dashboard/login")
    login_cookie = _set_cookie(form, LOGIN_CSRF_COOKIE)
    assert "httponly" in login_cookie and "samesite=strict" in login_cookie
    answer = _log_in(browser, operator_name)
    assert answer.status_code == 303
    cookie = _set_cookie(answer, SESSION_COOKIE)
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/" in cookie
    assert "max-age=" in cookie
    assert "secure" not in cookie  # plain HTTP in tests; production sets Secure (see below)


def test_a_logged_in_browser_cannot_be_made_to_act_without_its_sessions_csrf_token(
    browser: httpx.Client, operator_name: str
) -> None:
    assert _log_in(browser, operator_name).status_code == 303
    cookie = browser.cookies[SESSION_COOKIE]
    with session_scope() as session:
        login = find_login(session, cookie)
        assert login is not None
        csrf = login.csrf_token

    assert browser.get("/v1/requests").status_code == 200  # reading needs no token
    unsafe = browser.post("/v1/requests", json={})
    assert unsafe.status_code == 403 and "CSRF" in unsafe.json()["detail"]
    with_token = browser.post("/v1/requests", json={}, headers={CSRF_HEADER: csrf})
    assert with_token.status_code == 422  # past the guard, to the request's own validation

    forged_logout = browser.post("/dashboard/logout", data={"csrf_token": "forged"})
    assert forged_logout.status_code == 403
    assert browser.get("/v1/requests").status_code == 200  # still logged in
    logout = browser.post("/dashboard/logout", data={"csrf_token": csrf})
    assert logout.status_code == 303
    with httpx.Client(base_url=str(browser.base_url), timeout=10) as replayed:
        replayed.cookies.set(SESSION_COOKIE, cookie)
        assert replayed.get("/v1/requests").status_code == 401  # the old cookie is dead


def test_in_production_the_session_cookie_is_secure_and_hsts_is_sent(
    browser: httpx.Client, operator_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()  # the very settings the in-process API server reads
    monkeypatch.setattr(settings, "environment", "production")
    monkeypatch.setattr(settings, "cookie_secure", None)
    form = browser.get("/dashboard/login")
    assert "secure" in _set_cookie(form, LOGIN_CSRF_COOKIE).split("; ")
    token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
    # A browser sends Secure cookies over HTTPS only; this test speaks HTTP, so it sends it itself.
    answer = browser.post(
        "/dashboard/login",
        data={"username": operator_name, "password": PASSWORD, "csrf_token": token},
        headers={"Cookie": f"{LOGIN_CSRF_COOKIE}={token}"},
    )
    assert answer.status_code == 303, answer.text
    assert "secure" in _set_cookie(answer, SESSION_COOKIE).split("; ")
    assert answer.headers["strict-transport-security"].startswith("max-age=")
