"""figures roll-up: monthly counts and working-time histograms per agency; indexes for freshness

Revision ID: 0003_figures_rollup
Revises: 0002_supervision
Create Date: 2026-11-29 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision: str = "0003_figures_rollup"
down_revision: str | None = "0002_supervision"
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
        "figure_months",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in _COUNTS),
        sa.PrimaryKeyConstraint("month", "agreement_id"),
    )
    op.create_table(
        "figure_buckets",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("measure", sa.String(length=8), nullable=False),
        sa.Column("agreement_id", sa.String(length=64), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("referrals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "measure", "agreement_id", "bucket"),
    )
    op.create_table(
        "figure_refreshes",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("refreshed_at", hub.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("month"),
    )
    # What changed since the last refresh of the roll-up.
    op.create_index("ix_referrals_updated_at", "referrals", ["updated_at"])
    # What ages with now (deadlines unmet past due, overdue): unresolved referrals only, and
    # on PostgreSQL everything those counts read is in the index (an index-only scan).
    op.create_index(
        "ix_referrals_unresolved",
        "referrals",
        ["created_at", "agreement_id"],
        postgresql_include=[
            "state",
            "view_due_at",
            "act_due_at",
            "result_due_at",
            "viewed_at",
            "acted_at",
        ],
        postgresql_where=sa.text("resolved_at IS NULL"),
        sqlite_where=sa.text("resolved_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_referrals_unresolved", table_name="referrals")
    op.drop_index("ix_referrals_updated_at", table_name="referrals")
    op.drop_table("figure_refreshes")
    op.drop_table("figure_buckets")
    op.drop_table("figure_months")
