"""figures roll-up by day: counts and working-time histograms per agency and Tehran day

Ranges of days read these where they cut a month; months become the sums of their days. Every
month's refresh mark is dropped, so the next read of a month rebuilds it whole, days included.

Revision ID: 0004_figures_days
Revises: 0003_figures_rollup
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_figures_days"
down_revision: str | None = "0003_figures_rollup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COUNTS = (
    "received",
    "delivered",
    "resolved",
    "delivery_failures",
    "view_met",
    "view_done",
    "act_met",
    "act_done",
    "result_met",
    "result_done",
)


def upgrade() -> None:
    op.create_table(
        "figure_days",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.PrimaryKeyConstraint("day", "agreement_id"),
    )
    op.create_table(
        "figure_day_buckets",
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "measure", "agreement_id", "bucket"),
    )
    # Months stored before days existed have no days: make the next read rebuild them.
    op.execute("DELETE FROM figure_refreshes")


def downgrade() -> None:
    op.drop_table("figure_day_buckets")
    op.drop_table("figure_days")
