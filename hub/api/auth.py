"""Who may call a route: every ``/v1`` route declares its roles with one of these dependencies.

A caller is an API token (``Authorization: Bearer samad_…``) or a dashboard login (the session
cookie; unsafe methods then also need the ``X-CSRF-Token`` header). Routes declare::

    def submit(..., caller: OperatorDep)             # the 111 call centre
    def figures(..., caller: SupervisorDep)          # supervisor or admin
    def referrals(agreement: str, caller: AgencyDep) # an agency token for that agreement only
    def lookup(..., caller: CitizenOrStaffDep)       # anyone; a citizen must prove the mobile

or build their own with ``Depends(requires(Role.X, Role.Y))``. The declared roles are published
in the OpenAPI document as ``x-roles`` on each operation; a test fails on a route without them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any, cast

from fastapi import Depends, FastAPI, Request, routing
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from hub.api.deps import SessionDep
from hub.auth.errors import AccessDenied, forbidden, unauthenticated
from hub.auth.roles import Principal, Role
from hub.auth.sessions import CSRF_HEADER, SESSION_COOKIE, csrf_matches, find_login
from hub.auth.tokens import authenticate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CITIZEN = "citizen"  # not a role: the look-up route's caller without credentials

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from `samad-hub tokens create` (shown once).",
)


def _caller(
    request: Request,
    session: SessionDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal | None:
    if credentials is not None:
        principal = authenticate(session, credentials.credentials)
        if principal is None:
            raise unauthenticated("the API token is unknown, expired or revoked")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    login = find_login(session, cookie)
    if login is None:
        return None
    if request.method not in SAFE_METHODS and not csrf_matches(
        login, request.headers.get(CSRF_HEADER)
    ):
        raise forbidden("the CSRF token is missing or wrong")
    return login.principal


CallerDep = Annotated[Principal | None, Depends(_caller)]


class Access:
    """A dependency that lets only the declared roles through (401 without, 403 with another)."""

    def __init__(self, *roles: Role, citizen: bool = False) -> None:
        self.roles = frozenset(roles)
        self.citizen = citizen

    @property
    def declared_roles(self) -> list[str]:
        return sorted(r.value for r in self.roles) + ([CITIZEN] if self.citizen else [])

    async def __call__(self, caller: CallerDep) -> Principal | None:  # pure: no thread hop
        return self.check(caller)

    def check(self, caller: Principal | None) -> Principal | None:
        if caller is None:
            if self.citizen:
                return None
            raise unauthenticated()
        if caller.role not in self.roles:
            raise forbidden(f"a {caller.role} may not do this")
        return caller


def requires(*roles: Role, citizen: bool = False) -> Access:
    return Access(*roles, citizen=citizen)


class AgencyScope(Access):
    """An agency acting for the agreement in the path (``{agreement}``); others refused with 403.

    ``readers`` may also read (supervisors and admins read every agency's cases).
    """

    def __init__(self, *readers: Role) -> None:
        super().__init__(Role.AGENCY, *readers)

    async def __call__(  # type: ignore[override]  # FastAPI also passes the path's agreement
        self, agreement: str, caller: CallerDep
    ) -> Principal | None:
        principal = self.check(caller)
        assert principal is not None
        if principal.role is Role.AGENCY and principal.agreement_id != agreement:
            raise forbidden("this token acts for another agreement")
        return principal


OperatorDep = Annotated[Principal, Depends(requires(Role.OPERATOR))]
StaffDep = Annotated[Principal, Depends(requires(Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN))]
SupervisorDep = Annotated[Principal, Depends(requires(Role.SUPERVISOR, Role.ADMIN))]
AdminDep = Annotated[Principal, Depends(requires(Role.ADMIN))]
AgencyDep = Annotated[Principal, Depends(AgencyScope())]
AgencyReaderDep = Annotated[Principal, Depends(AgencyScope(Role.SUPERVISOR, Role.ADMIN))]
CitizenOrOperatorDep = Annotated[Principal | None, Depends(requires(Role.OPERATOR, citizen=True))]
# Citizens only (their code and mobile prove them); staff read the same on the dashboard.
CitizenDep = Annotated[None, Depends(requires(citizen=True))]
CitizenOrStaffDep = Annotated[
    Principal | None,
    Depends(requires(Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN, citizen=True)),
]


def declared_roles(route: APIRoute) -> list[str] | None:
    """The roles a route's dependencies declare (None: the route declares none)."""
    pending: list[Any] = [route.dependant]
    while pending:
        dependant = pending.pop()
        roles = getattr(dependant.call, "declared_roles", None)
        if roles is not None:
            return list(roles)
        pending.extend(dependant.dependencies)
    return None


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every API route of the app with its full path, included routers walked."""
    for context in routing.iter_route_contexts(app.routes):
        if isinstance(context.route, APIRoute):
            # Optional for a route of any kind; an APIRoute always has its path format.
            yield cast(str, context.path_format), context.route


def publish_roles(app: FastAPI) -> None:
    """Add ``x-roles`` to every operation of the OpenAPI document, from the routes' guards."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build()
        for path, route in api_routes(app):
            roles = declared_roles(route)
            operations = schema.get("paths", {}).get(path, {})
            for method in route.methods or ():
                operation = operations.get(method.lower())
                if operation is not None and roles is not None:
                    operation["x-roles"] = roles
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's way to amend the document


__all__ = [
    "AccessDenied",
    "AdminDep",
    "AgencyDep",
    "AgencyReaderDep",
    "CallerDep",
    "CitizenOrOperatorDep",
    "CitizenOrStaffDep",
    "OperatorDep",
    "Principal",
    "Role",
    "StaffDep",
    "SupervisorDep",
    "requires",
]
