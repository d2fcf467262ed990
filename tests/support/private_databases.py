"""A database of a test's own, on this run's PostgreSQL server or in a SQLite file.

For tests that must not share the run's database: the session's worker seals that one's audit
chain every few seconds, so a test that tampers with a chain's newest events needs a chain
nobody else is extending.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from hub.db.migrate import upgrade
from hub.db.session import get_engine
from tests.support.environment import DATABASE_NAME, PG_SERVER


@contextmanager
def private_database(
    kind: str, name: str, directory: Path, revision: str = "heads"
) -> Iterator[str]:
    """The URL of a new database (``kind`` postgresql or sqlite) migrated to ``revision``."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / f'{name}.db'}"
        try:
            upgrade(url, revision)
            yield url
        finally:
            get_engine(url).dispose()
        return
    database = f"{DATABASE_NAME}_{name}"
    admin = PG_SERVER.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{database}"')
    url = f"{PG_SERVER}/{database}"
    try:
        upgrade(url, revision)
        yield url
    finally:
        get_engine(url).dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
