"""Dashboard logins: a random session id in an HttpOnly, SameSite=Lax cookie, and a CSRF token.

The table keeps only the session id's keyed hash. Each session has its own CSRF token; forms
carry it in a hidden ``csrf_token`` field (scripts in an ``X-CSRF-Token`` header) and every
unsafe request made with the cookie must present it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

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
            expires_at=_expiry(now, now),
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
    now = now or utcnow()
    if login.ended_at is not None or _aware(login.expires_at) <= now or user.disabled:
        return None
    renewed = _expiry(_aware(login.created_at), now)
    if renewed - _aware(login.expires_at) > _RENEW_STEP:  # in use: the idle clock starts again
        login.expires_at = renewed
        session.commit()
    return ActiveLogin(principal_of(user), login.csrf_token, login.id)


_RENEW_STEP = timedelta(minutes=1)  # a session used within a minute of its renewal is not written


def _expiry(created: datetime, last_used: datetime) -> datetime:
    """A login ends ``session_idle_minutes`` after its last use, and ``session_hours`` after it
    began at the latest."""
    settings = get_settings()
    return min(
        created + timedelta(hours=settings.session_hours),
        last_used + timedelta(minutes=settings.session_idle_minutes),
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


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
