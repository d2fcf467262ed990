"""Fixtures the fault tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hub.db.migrate import upgrade
from hub.db.session import get_engine
from tests.support.private_postgres import PrivatePostgres


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server of this test's own, migrated, that the test may crash."""
    if not PrivatePostgres.available():
        pytest.skip("initdb and pg_ctl are not installed (the test starts a server of its own)")
    server = PrivatePostgres()
    try:
        server.create()
        upgrade(server.url)
        yield server
    finally:
        get_engine(server.url).dispose()
        server.remove()
