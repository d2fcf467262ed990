"""Supervision tests: dashboard users, made with issue 7's user module."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable

import pytest

from hub.auth.passwords import create_user
from hub.auth.roles import Role
from hub.db.session import session_scope
from hub.sandbox.server import free_port
from tests.supervision.known_data import seed
from tests.supervision.logins import PASSWORD

_numbers = itertools.count(1)
# Workers are other processes: each serves its own /metrics on this port (hub/core/metrics.py), so a
# test can read what a real worker counted. Set before the session's worker starts.
WORKER_METRICS_PORT = free_port()
os.environ["SAMAD_WORKER_METRICS_PORT"] = str(WORKER_METRICS_PORT)


@pytest.fixture(scope="session")
def dashboard_user(database: str) -> Callable[[str], str]:
    """``dashboard_user("admin")``: a new user of that role (password ``PASSWORD``)."""

    def make(role: str) -> str:
        username = f"{role}-{next(_numbers)}"
        with session_scope() as session:
            create_user(session, username, PASSWORD, Role(role))
        return username

    return make


@pytest.fixture(scope="session")
def known_data(database: str) -> None:
    """The hand-worked data set of ``known_data.py``, inserted once per run."""
    with session_scope() as session:
        seed(session)
