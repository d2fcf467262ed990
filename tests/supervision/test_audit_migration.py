"""Upgrading a hub whose events were chained with the old unkeyed SHA-256 (migration 0010): the
chain is re-made with the audit key as far as it holds, and where it was already broken
`samad-hub audit verify` still names the place. On PostgreSQL and SQLite."""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command

from hub.db.migrate import alembic_config, upgrade
from hub.db.session import get_engine
from hub.db.types import UtcDateTime
from hub.supervision.audit import seal
from tests.support.cli import samad_hub
from tests.support.private_databases import private_database

BEFORE = "0009_figures_outcomes"
LEGACY_EVENTS = sa.table(
    "events",
    *(sa.column(name) for name in ("id", "seq", "kind", "actor", "chain_hash")),
    sa.column("data", sa.JSON()),
    sa.column("created_at", UtcDateTime()),
)


def legacy_link(previous: str, row: dict[str, Any]) -> str:
    """The chain as the hub made it before 0010: SHA-256 over the event's canonical JSON."""
    content = {
        **{name: row.get(name) for name in ("id", "seq", "kind", "actor", "data")},
        **{name: None for name in ("request_id", "referral_id", "from_state", "to_state")},
        "created_at": row["created_at"].astimezone(UTC).isoformat(timespec="microseconds"),
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(previous.encode() + text.encode()).hexdigest()


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    """The test's own checkpoint file."""
    return tmp_path / "checkpoints.jsonl"


def verify(url: str, checkpoints: Path) -> subprocess.CompletedProcess[str]:
    env = {"SAMAD_DATABASE_URL": url, "SAMAD_AUDIT_CHECKPOINT_FILE": str(checkpoints)}
    return samad_hub("audit", "verify", env=env)


@pytest.fixture(params=["postgresql", "sqlite"])
def old_hub(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at the revision before 0010, with five events chained the old way and one
    waiting for the sweep."""
    with private_database(request.param, "audit_upgrade", tmp_path, BEFORE) as url:
        start = datetime(2026, 11, 1, 8, 30, 0, 123456, tzinfo=UTC)
        rows, previous = [], "0" * 64
        for number in range(1, 7):
            row = {
                "id": number,
                "seq": number if number < 6 else None,
                "kind": "request.received",
                "actor": "operator-7",
                "data": {"n": number, "say": "آب"},
                "created_at": start + timedelta(minutes=number),
            }
            if row["seq"] is not None:
                previous = row["chain_hash"] = legacy_link(previous, row)
            rows.append({"chain_hash": None, **row})
        with get_engine(url).begin() as connection:
            connection.execute(sa.insert(LEGACY_EVENTS), rows)
        yield url


def test_an_intact_old_chain_is_re_keyed_and_verifies_after_the_upgrade(
    old_hub: str, checkpoints: Path
) -> None:
    upgrade(old_hub)
    # The waiting event is sealed: the upgrade gave it its row MAC.
    assert seal(old_hub, checkpoints=checkpoints) == 1
    result = verify(old_hub, checkpoints)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 events checked" in result.stdout and "(seq 6)" in result.stdout


def test_an_old_chain_broken_before_the_upgrade_is_still_named(
    old_hub: str, checkpoints: Path
) -> None:
    with get_engine(old_hub).begin() as connection:
        connection.execute(sa.text("UPDATE events SET actor = 'intruder' WHERE id = 3"))
    upgrade(old_hub)
    seal(old_hub, checkpoints=checkpoints)
    result = verify(old_hub, checkpoints)
    assert result.returncode == 1
    assert "event id 3 (seq 3) was changed or inserted" in result.stdout


def test_a_downgrade_gives_back_the_old_chain(old_hub: str) -> None:
    upgrade(old_hub)
    command.downgrade(alembic_config(old_hub), BEFORE)
    with get_engine(old_hub).connect() as connection:
        query = sa.select(LEGACY_EVENTS).where(LEGACY_EVENTS.c.seq.is_not(None))
        rows = connection.execute(query.order_by(LEGACY_EVENTS.c.seq)).mappings().all()
    previous = "0" * 64
    for row in rows:
        previous = legacy_link(previous, dict(row))
        assert row["chain_hash"] == previous
