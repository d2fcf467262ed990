"""``api_key``: an API token of the hub (``samad-hub tokens create``), sent as the spec says —
a form field of ``POST requests`` (or a query parameter). Filing needs an operator's token, as
``POST /v1/requests`` does; reading the citizen's details needs any staff token. A missing or
wrong key is a 403, as GeoReport v2 asks (``/v1`` says 401)."""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import Request
from sqlalchemy.orm import Session

from hub.api.open311.errors import forbidden
from hub.auth.roles import Principal, Role
from hub.auth.tokens import authenticate

STAFF = frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN})


def api_key_of(http: Request, form: Mapping[str, list[str]]) -> str | None:
    values = form.get("api_key") or http.query_params.getlist("api_key")
    return values[-1].strip() if values and values[-1].strip() else None


def _principal(session: Session, api_key: str) -> Principal:
    principal = authenticate(session, api_key)
    if principal is None:
        raise forbidden("invalid api_key: it is unknown, expired or revoked")
    return principal


def submitting_operator(session: Session, api_key: str | None) -> Principal:
    """The operator filing a request, or a 403 saying what is wrong with the key."""
    if api_key is None:
        raise forbidden("api_key is required to file a request: an operator's token")
    principal = _principal(session, api_key)
    if principal.role is not Role.OPERATOR:
        raise forbidden(f"api_key: a {principal.role} token may not file requests")
    return principal


def staff_reads(session: Session, api_key: str | None) -> bool:
    """Whether the caller may see the citizen's details (no key: the public view)."""
    if api_key is None:
        return False
    return _principal(session, api_key).role in STAFF
