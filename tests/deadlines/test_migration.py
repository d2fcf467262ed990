"""The deadlines migration builds its tables on a fresh SQLite file (the embedded hub) too."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect

from hub.db.migrate import upgrade


def test_a_fresh_sqlite_hub_has_the_deadline_tables_and_the_reopen_start(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    engine = create_engine(url)
    try:
        tables = inspect(engine).get_table_names()
        columns = {c["name"] for c in inspect(engine).get_columns("referrals")}
        violation_columns = {c["name"] for c in inspect(engine).get_columns("violations")}
    finally:
        engine.dispose()
    assert {"escalation_steps", "violations", "notifications", "feedback"} <= set(tables)
    assert "deadlines_started_at" in columns
    assert {"agreement_id", "referral_id", "deadline", "due_at", "recorded_at", "late_seconds"} <= (
        violation_columns
    )
