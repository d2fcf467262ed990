"""Dashboard logins: a random session id in an HttpOnly, SameSite=Lax cookie, and a CSRF token.

The table keeps only the session id's keyed hash. Each session has its own CSRF token; forms
carry it in a hidden ``csrf_token`` field (scripts in an ``X-CSRF-Token`` header) and every
unsafe request made with the cookie must present it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.digest import keyed_hash, new_secret, same
from hub.auth.passwords import principal_of
from hub.auth.roles import Principal
from hub.core.settings import get_settings
from hub.db.models_access import LoginSession, User
from hub.db.types import utcnow

SESSION_COOKIE = "samad_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class ActiveLogin:
    principal: Principal
    csrf_token: str
    session_id: int


def start_login(session: Session, user: User, now: datetime | None = None) -> tuple[str, str]:
    """A new session for ``user``: (the cookie's value, the session's CSRF token)."""
    now = now or utcnow()
    cookie = new_secret("s_")
    csrf = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            session_hash=keyed_hash(cookie),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(hours=get_settings().session_hours),
        )
    )
    session.flush()
    return cookie, csrf


def find_login(session: Session, cookie: str, now: datetime | None = None) -> ActiveLogin | None:
    if not cookie or len(cookie) > 200:
        return None
    row = session.execute(
        select(LoginSession, User)
        .join(User, User.id == LoginSession.user_id)
        .where(LoginSession.session_hash == keyed_hash(cookie))
    ).first()
    if row is None:
        return None
    login, user = row
    if login.ended_at is not None or login.expires_at <= (now or utcnow()) or user.disabled:
        return None
    return ActiveLogin(principal_of(user), login.csrf_token, login.id)


def end_login(session: Session, cookie: str) -> None:
    login = session.scalar(
        select(LoginSession).where(LoginSession.session_hash == keyed_hash(cookie))
    )
    if login is not None and login.ended_at is None:
        login.ended_at = utcnow()


def csrf_matches(login: ActiveLogin, presented: str | None) -> bool:
    return bool(presented) and same(login.csrf_token, presented or "")


def cookie_is_secure() -> bool:
    settings = get_settings()
    if settings.cookie_secure is not None:
        return settings.cookie_secure
    return settings.environment == "production"
