"""figures roll-up: deadlines still unmet of unresolved referrals, counted per agency and day

Deadlines missed depend on the moment of asking. The roll-up now keeps, per day, the unmet
deadlines of referrals not resolved; the figures take away those not due yet, found through a
partial index per deadline (unresolved referrals with that deadline), instead of reading every
unresolved referral of the period. Every refresh mark is dropped: the next read of a month
rebuilds it.

Revision ID: 0007_figures_open_deadlines
Revises: 0006_figures_violations_feedback
Create Date: 2026-11-28 19:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_figures_open_deadlines"
down_revision: str | None = "0006_figures_violations_feedback"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("figure_days", "figure_months")
_COUNTS = ("view_open", "act_open", "result_open")
_DUES = ("view_due_at", "act_due_at", "result_due_at")


def upgrade() -> None:
    for table in _TABLES:
        # A default for the rows already there; SQLite adds a NOT NULL column only with one.
        with op.batch_alter_table(table) as batch:
            for name in _COUNTS:
                batch.add_column(sa.Column(name, sa.Integer(), nullable=False, server_default="0"))
    for due in _DUES:
        # Not "resolved_at IS NULL" alone: a query over every unresolved referral (overdue now)
        # could then take one of these (reading the table) for ix_referrals_unresolved, which
        # answers it from the index alone.
        unresolved_with_due = sa.text(f"resolved_at IS NULL AND {due} IS NOT NULL")
        op.create_index(
            f"ix_referrals_unresolved_{due}",
            "referrals",
            [due],
            postgresql_where=unresolved_with_due,
            sqlite_where=unresolved_with_due,
        )
    op.execute("DELETE FROM figure_refreshes")


def downgrade() -> None:
    for due in _DUES:
        op.drop_index(f"ix_referrals_unresolved_{due}", table_name="referrals")
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            for name in _COUNTS:
                batch.drop_column(name)
    op.execute("DELETE FROM figure_refreshes")
