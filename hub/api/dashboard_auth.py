"""What dashboard pages use to know who is looking: ``DashboardUserDep`` and ``csrf_field``.

A page declares ``user: DashboardUserDep`` (any logged-in person) or one of the role-limited
aliases; a visitor without a valid session is sent to ``/dashboard/login?next=<page>``. A page
that handles a form POST declares ``user: DashboardFormDep``, which also checks the form's
``csrf_token`` field (or the ``X-CSRF-Token`` header) against the session's. Templates put
``{{ csrf_field }}`` in every form: ``csrf_field(login)`` renders the hidden input.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from markupsafe import Markup, escape

from hub.api.deps import SessionDep
from hub.auth.errors import forbidden
from hub.auth.roles import Role
from hub.auth.sessions import (
    CSRF_FIELD,
    CSRF_HEADER,
    SESSION_COOKIE,
    ActiveLogin,
    csrf_matches,
    find_login,
)

LOGIN_PATH = "/dashboard/login"


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class DashboardAccess:
    """Logged-in people with one of ``roles`` (all roles when none are given)."""

    def __init__(self, *roles: Role, form: bool = False) -> None:
        self.roles = frozenset(roles) or frozenset(Role)
        self.form = form

    @property
    def declared_roles(self) -> list[str]:
        return sorted(r.value for r in self.roles)

    async def __call__(self, request: Request, session: SessionDep) -> ActiveLogin:
        login = find_login(session, request.cookies.get(SESSION_COOKIE, ""))
        if login is None:
            raise LoginRequired(request.url.path)
        if login.principal.role not in self.roles:
            raise forbidden(f"a {login.principal.role} may not see this page")
        if self.form or request.method not in ("GET", "HEAD"):
            presented = request.headers.get(CSRF_HEADER)
            if presented is None and "form" in request.headers.get("content-type", ""):
                presented = str((await request.form()).get(CSRF_FIELD) or "")
            if not csrf_matches(login, presented):
                raise forbidden("the CSRF token is missing or wrong")
        return login


DashboardUserDep = Annotated[ActiveLogin, Depends(DashboardAccess())]
DashboardFormDep = Annotated[ActiveLogin, Depends(DashboardAccess(form=True))]
DashboardSupervisorDep = Annotated[
    ActiveLogin, Depends(DashboardAccess(Role.SUPERVISOR, Role.ADMIN, Role.OPERATOR))
]


def csrf_field(login: ActiveLogin) -> Markup:
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(login.csrf_token)
    )


def safe_next(path: str | None) -> str:
    """Only our own pages (the dashboard, the kartabl) are places to go back to after logging
    in."""
    if not path:
        return "/dashboard"
    ours = path.startswith("/dashboard") or path.startswith("/kartabl")
    if ours and "//" not in path and "\\" not in path:
        return path
    return "/dashboard"


def install_login_redirect(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _to_login(_: Request, exc: LoginRequired) -> RedirectResponse:
        return RedirectResponse(f"{LOGIN_PATH}?next={quote(safe_next(exc.next_path))}", 303)
