"""Dashboard login and logout: a form, an Argon2-checked password, a session cookie.

The login form itself is protected from cross-site posting by a double-submit token (a
``SameSite=Strict`` cookie and the same value in the form); logging out needs the session's
CSRF token. Failed logins are counted per client address and per user name; while either is
over its rate every attempt gets the same 429 and no password is checked, so the answer never
tells a guesser that a guess was right.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment

from hub.api.dashboard_auth import DashboardFormDep, safe_next
from hub.api.deps import SessionDep
from hub.auth.digest import same
from hub.auth.errors import AccessDenied, forbidden
from hub.auth.passwords import check_login
from hub.auth.ratelimit import count, refuse_if_spent
from hub.auth.roles import KARTABL_ROLES, Role
from hub.auth.sessions import SESSION_COOKIE, cookie_is_secure, end_login, start_login
from hub.core.settings import get_settings

router = APIRouter(prefix="/dashboard", tags=["dashboard login"])
LOGIN_CSRF_COOKIE = "samad_login_csrf"
_LIMITED = "تلاش‌های ناموفق بیش از حد مجاز است؛ کمی بعد دوباره بکوشید"

_PAGE = Environment(autoescape=True).from_string(
    """<!doctype html>
<html lang="fa" dir="rtl"><head><meta charset="utf-8"><title>ورود — سامد</title></head>
<body><main><h1>ورود به داشبورد سامد</h1>
{% if error %}<p role="alert">{{ error }}</p>{% endif %}
<form method="post" action="/dashboard/login">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="next" value="{{ next }}">
<label>نام کاربری <input name="username" autocomplete="username" required></label>
<label>گذرواژه <input name="password" type="password" autocomplete="current-password" required>
</label>
<button type="submit">ورود</button>
</form></main></body></html>"""
)


def _form(next_path: str, error: str = "", status: int = 200) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = HTMLResponse(_PAGE.render(csrf=token, next=next_path, error=error), status)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=cookie_is_secure()
    )
    return response


@router.get("/login", response_class=HTMLResponse)
def login_form(next: str | None = None) -> HTMLResponse:
    """The login form."""
    return _form(safe_next(next))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=100)],
    next: Annotated[str, Form(max_length=500)] = "/dashboard",
) -> Response:
    """Check the password; on success a session cookie and back to the page asked for."""
    if not same(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf_token):
        raise forbidden("the login form's CSRF token is missing or wrong")
    client = request.client.host if request.client else "unknown"
    account = username.strip().lower()
    settings = get_settings()
    try:
        refuse_if_spent(settings.login_rate_per_ip, "login-ip", client)
        refuse_if_spent(settings.login_rate_per_account, "login-user", account)
    except AccessDenied as limited:
        page = _form(safe_next(next), _LIMITED, 429)
        page.headers.update(limited.headers)
        return page
    user = check_login(session, username, password)
    if user is None:
        count(settings.login_rate_per_ip, "login-ip", client)
        count(settings.login_rate_per_account, "login-user", account)
        return _form(safe_next(next), "نام کاربری یا گذرواژه نادرست است", 401)
    cookie, _ = start_login(session, user)
    session.commit()
    target = safe_next(next)
    if target == "/dashboard" and user.role == str(Role.OPERATOR):
        target = "/dashboard/replies"  # the 111 operator's page here: replies waiting for a person
    if target == "/dashboard" and Role(user.role) in KARTABL_ROLES:
        target = "/kartabl"  # an agency's people work in their kartabl
    response = RedirectResponse(target, 303)
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        max_age=int(settings.session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=cookie_is_secure(),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep, user: DashboardFormDep) -> Response:
    """End this session."""
    end_login(session, request.cookies.get(SESSION_COOKIE, ""))
    session.commit()
    response = RedirectResponse("/dashboard/login", 303)
    response.delete_cookie(SESSION_COOKIE)
    return response
