"""figures roll-up: resolved referrals the agency did not do, and those it rejected

A resolved referral now says how it ended (0008_referral_outcome); the roll-up counts the
unsuccessful and the rejected ones per agency and day, so the figures tell them from the done
ones. Every refresh mark is dropped: the next read of a month rebuilds it.

Revision ID: 0009_figures_outcomes
Revises: 0008_referral_outcome
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_figures_outcomes"
down_revision: str | None = "0008_referral_outcome"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("figure_days", "figure_months")
_COUNTS = ("resolved_unsuccessful", "rejected")


def upgrade() -> None:
    for table in _TABLES:
        # A default for the rows already there; SQLite adds a NOT NULL column only with one.
        with op.batch_alter_table(table) as batch:
            for name in _COUNTS:
                batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    op.execute("DELETE FROM figure_refreshes")


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            for name in _COUNTS:
                batch.drop_column(name)
    op.execute("DELETE FROM figure_refreshes")
