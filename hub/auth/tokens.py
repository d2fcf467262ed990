"""API tokens for machine clients: created and shown once, stored as a keyed hash, revocable.

A token carries one role; an agency token also carries the one agreement it may act for. Every
token expires (``SAMAD_TOKEN_DAYS`` by default); an expired or revoked token is refused exactly
like an unknown one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.digest import keyed_hash, new_secret
from hub.auth.errors import AccessProblem
from hub.auth.roles import Principal, Role
from hub.core.settings import get_settings
from hub.db.models_access import ApiToken
from hub.db.types import utcnow

TOKEN_PREFIX = "samad_"


@dataclass(frozen=True)
class IssuedToken:
    token: ApiToken
    secret: str  # shown once, never stored


def create_token(
    session: Session,
    name: str,
    role: Role,
    agreement_id: str | None = None,
    expires_in: timedelta | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    if not role.takes_tokens:
        raise AccessProblem(f"{role} is a role for people: create a user, not a token")
    if role is Role.AGENCY and not agreement_id:
        raise AccessProblem("an agency token needs the agreement it acts for")
    if role is not Role.AGENCY and agreement_id:
        raise AccessProblem(f"a {role} token is not scoped to an agreement")
    if not name.strip():
        raise AccessProblem("a token needs a name")
    now = now or utcnow()
    lifetime = expires_in if expires_in is not None else timedelta(days=get_settings().token_days)
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        name=name.strip()[:100],
        role=role.value,
        agreement_id=agreement_id,
        token_hash=keyed_hash(secret),
        prefix=secret[: len(TOKEN_PREFIX) + 6],
        created_at=now,
        expires_at=now + lifetime,
    )
    session.add(token)
    session.flush()
    return IssuedToken(token, secret)


def authenticate(session: Session, secret: str, now: datetime | None = None) -> Principal | None:
    """The principal a token stands for, or None if it is unknown, expired or revoked."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == keyed_hash(secret)))
    now = now or utcnow()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now  # at most one write a minute per token
    return Principal(
        Role(token.role), f"token:{token.name}", token.agreement_id, credential=f"token#{token.id}"
    )


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke_token(session: Session, token_id: int, now: datetime | None = None) -> ApiToken:
    token = session.get(ApiToken, token_id)
    if token is None:
        raise AccessProblem(f"no token with id {token_id}")
    if token.revoked_at is None:
        token.revoked_at = now or utcnow()
    return token


def token_status(token: ApiToken, now: datetime | None = None) -> str:
    now = now or utcnow()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= now:
        return "expired"
    return "active"
