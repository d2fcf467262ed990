"""figures roll-up: violations recorded and feedback given, counted per agency and day too

``figure_days`` and ``figure_months`` (and so quarters and years) gain the counts the figures read
from ``violations`` and ``feedback`` by their own dates, so a long period no longer counts those
tables live. Every refresh mark is dropped: the next read of a month rebuilds it with them.

Revision ID: 0006_figures_violations_feedback
Revises: 0005_figures_quarters_years
Create Date: 2026-11-28 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_figures_violations_feedback"
down_revision: str | None = "0005_figures_quarters_years"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("figure_days", "figure_months")
_COUNTS = ("violations", "feedback", "ratings", "rating_sum", "reopens")


def upgrade() -> None:
    for table in _TABLES:
        # A default for the rows already there (dropped at once on rebuild below); SQLite can
        # add a NOT NULL column only with one.
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
