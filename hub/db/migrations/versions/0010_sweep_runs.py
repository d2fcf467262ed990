"""sweep runs: when each periodic sweep last started and finished, and whether it went well

Workers record every run of a beat-sent sweep; /readyz, /metrics and the workers' watchdog read
them to tell a sweep that stopped (a dead beat) from one that runs.

Revision ID: 0010_sweep_runs
Revises: 0009_figures_outcomes
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision: str = "0010_sweep_runs"
down_revision: str | None = "0009_figures_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sweep_runs",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("expected_since", hub.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_started", hub.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_finished", hub.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_ok", sa.Boolean(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("sweep_runs")
