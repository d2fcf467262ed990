"""Rotating ``SAMAD_SECRET_KEY`` ends every API token and dashboard session made under the old key:
both are stored only as keyed hashes, so under a new key nothing the old key made matches."""

from __future__ import annotations

import uuid

import pytest

from hub.auth.passwords import create_user
from hub.auth.roles import Role
from hub.auth.sessions import find_login, start_login
from hub.auth.tokens import authenticate, create_token
from hub.core.settings import get_settings
from hub.db.models_access import User
from hub.db.session import session_scope


@pytest.fixture
def rotate(monkeypatch: pytest.MonkeyPatch, database: str):
    def to(key: str) -> None:
        monkeypatch.setenv("SAMAD_SECRET_KEY", key)
        get_settings.cache_clear()

    yield to
    get_settings.cache_clear()


def test_a_new_secret_key_ends_old_tokens_and_sessions(rotate) -> None:
    rotate("the-first-key-of-this-test-run-0123456789")
    with session_scope() as session:
        token = create_token(session, "rotation", Role.OPERATOR).secret
        user = create_user(
            session, f"rot-{uuid.uuid4().hex[:8]}", "long-enough-password", Role.ADMIN
        )
        cookie, _ = start_login(session, session.get_one(User, user.id))
    with session_scope() as session:
        assert authenticate(session, token) is not None
        assert find_login(session, cookie) is not None

    rotate("the-second-key-after-rotation-9876543210")
    with session_scope() as session:
        assert authenticate(session, token) is None
        assert find_login(session, cookie) is None

    rotate("the-first-key-of-this-test-run-0123456789")  # the old key back: they match again
    with session_scope() as session:
        assert authenticate(session, token) is not None
        assert find_login(session, cookie) is not None
