"""The event log is tamper-evident: sealed into a keyed chain that `samad-hub audit verify` walks,
on the run's shared database, with the API writing and the worker sealing (the tampering itself is
tried on private databases, in test_audit_tampering.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import psycopg
import pytest

from hub.core.settings import REPO_ROOT
from hub.db.session import session_scope
from hub.supervision.audit import seal
from hub.supervision.audit_verify import verify
from tests.support.requests import citizen_request


def _seal_all() -> None:
    while seal():
        pass


def _verify_cli() -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "audit", "verify"],
        cwd=REPO_ROOT,
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def _dsn() -> str:
    return os.environ["SAMAD_DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")


@pytest.fixture
def sealed_log(api: httpx.Client) -> list[int]:
    for _ in range(3):
        assert api.post("/v1/requests", json=citizen_request()).status_code == 201
    _seal_all()
    # Only what was sealed: the running worker may append events (the requests' deliveries) at
    # any moment, and those wait for the next seal.
    with psycopg.connect(_dsn()) as conn:
        query = "SELECT id FROM events WHERE seq IS NOT NULL ORDER BY seq"
        return [row[0] for row in conn.execute(query)]


def test_an_untouched_log_verifies_and_every_event_is_sealed_in_order(
    sealed_log: list[int],
) -> None:
    result = _verify_cli()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "chain intact" in result.stdout
    with session_scope() as session:
        verdict = verify(session)
    assert verdict.ok and verdict.checked >= len(sealed_log)


def test_verify_reports_its_progress_batch_by_batch(sealed_log: list[int]) -> None:
    heard: list[int] = []
    with session_scope() as session:
        verdict = verify(session, batch=2, on_batch=heard.append)
    assert verdict.ok
    assert heard == sorted(heard) and heard[-1] == verdict.checked
    assert len(heard) >= verdict.checked // 2  # a report after every batch of two


def test_verify_names_an_event_edited_directly_in_postgresql(sealed_log: list[int]) -> None:
    victim = sealed_log[len(sealed_log) // 2]
    with psycopg.connect(_dsn()) as conn:
        row = conn.execute("SELECT actor FROM events WHERE id = %s", (victim,)).fetchone()
        assert row is not None
        conn.execute("UPDATE events SET actor = 'intruder' WHERE id = %s", (victim,))
    try:
        result = _verify_cli()
        assert result.returncode == 1
        assert f"event id {victim}" in result.stdout
        assert "changed or inserted" in result.stdout
    finally:
        with psycopg.connect(_dsn()) as conn:  # put it back for the other tests
            conn.execute("UPDATE events SET actor = %s WHERE id = %s", (row[0], victim))


def test_verify_names_the_place_of_an_event_deleted_from_the_chain(sealed_log: list[int]) -> None:
    with psycopg.connect(_dsn()) as conn:
        row = conn.execute(
            "SELECT id, seq, kind, request_id, referral_id, from_state, to_state, actor, data,"
            " created_at, chain_hash, row_mac FROM events WHERE id = %s",
            (sealed_log[-2],),
        ).fetchone()
        assert row is not None
        conn.execute("DELETE FROM events WHERE id = %s", (row[0],))
    try:
        result = _verify_cli()
        assert result.returncode == 1
        assert f"event seq {row[1]} is missing" in result.stdout
    finally:
        with psycopg.connect(_dsn()) as conn:
            conn.execute(
                "INSERT INTO events (id, seq, kind, request_id, referral_id, from_state, to_state,"
                " actor, data, created_at, chain_hash, row_mac) VALUES"
                " (%s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s)",
                (*row[:8], psycopg.types.json.Jsonb(row[8]), *row[9:]),
            )
