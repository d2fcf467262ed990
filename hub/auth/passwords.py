"""People's passwords: Argon2id via argon2-cffi, and the users who own them."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.errors import AccessProblem
from hub.auth.roles import Principal, Role
from hub.db.models_access import User

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


@functools.cache
def _dummy_hash() -> str:
    """Verifying against this when the user does not exist keeps the answer time the same.

    Made at the first such login, not at import: one Argon2id hash costs ~0.2 s and 64 MiB, and
    every process that imports this (the API at start-up, each worker, each CLI command) paid it.
    """
    return _hasher.hash("no such user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    session: Session, username: str, password: str, role: Role, agreement_id: str | None = None
) -> User:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessProblem(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    if role.is_scoped and not agreement_id:
        raise AccessProblem(f"a {role} user needs the agreement it belongs to (--agreement)")
    if agreement_id and not role.is_scoped:
        raise AccessProblem(f"a {role} user belongs to no agreement")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccessProblem(f"user {username!r} already exists")
    user = User(
        username=username,
        password_hash=hash_password(password),
        role=role.value,
        agreement_id=agreement_id,
    )
    session.add(user)
    session.flush()
    return user


def check_login(session: Session, username: str, password: str) -> User | None:
    """The user, if the password is theirs and they are not disabled; else None."""
    dummy = _dummy_hash()  # made before the look-up: the first login of either kind pays for it
    user = session.scalar(select(User).where(User.username == username[:64]))
    if user is None:
        password_matches(dummy, password)
        return None
    if not password_matches(user.password_hash, password) or user.disabled:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def principal_of(user: User) -> Principal:
    return Principal(Role(user.role), f"user:{user.username}", user.agreement_id)
