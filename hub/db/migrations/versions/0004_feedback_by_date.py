"""feedback by date: the figures read the feedback given in a period (a day, a month, a year)

Revision ID: 0004_feedback_by_date
Revises: 0002_deadlines
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_feedback_by_date"
down_revision: str | None = "0002_deadlines"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_feedback_created_at", "feedback", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_created_at", table_name="feedback")
