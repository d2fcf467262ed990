"""figures roll-up: quarters and years, sums of their months, stored beside the months

No new table: ``figure_months`` and ``figure_buckets`` also hold rows labelled ``1405-Q3`` and
``1405``. Every month's refresh mark is dropped, so the next read of a month rebuilds it, and its
quarter and year with it.

Revision ID: 0005_figures_quarters_years
Revises: 0004_figures_days
Create Date: 2026-11-30 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005_figures_quarters_years"
down_revision: str | None = "0004_figures_days"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM figure_refreshes")


def downgrade() -> None:
    op.execute("DELETE FROM figure_months WHERE month NOT LIKE '____-__' OR month LIKE '%Q%'")
    op.execute("DELETE FROM figure_buckets WHERE month NOT LIKE '____-__' OR month LIKE '%Q%'")
