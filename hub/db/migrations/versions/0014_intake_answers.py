"""intake answers: the first answer to a call with an Idempotency-Key, replayed as it was

Revision ID: 0014_intake_answers
Revises: 0013_kartabl
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0014_intake_answers"
down_revision: str | Sequence[str] | None = "0013_kartabl"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("intake_keys") as batch:
        batch.add_column(
            sa.Column(
                "answer",
                sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
                nullable=True,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("intake_keys") as batch:
        batch.drop_column("answer")
