"""referral outcome: how a resolved referral ended (successful, unsuccessful, rejected)

Also joins the branches that grew from 0001 into one head.

Revision ID: 0008_referral_outcome
Revises: 0002_access, 0002_agency_messages, 0002_dead_letters, 0004_feedback_by_date,
    0007_figures_open_deadlines
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_referral_outcome"
down_revision: str | Sequence[str] | None = (
    "0002_access",
    "0002_agency_messages",
    "0002_dead_letters",
    "0004_feedback_by_date",
    "0007_figures_open_deadlines",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("outcome", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("outcome")
