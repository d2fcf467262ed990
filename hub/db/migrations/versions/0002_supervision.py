"""supervision: handling times on referrals, the audit chain on events

Revision ID: 0002_supervision
Revises: 0001
Create Date: 2026-11-28 13:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision: str = "0002_supervision"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("acted_at", hub.db.types.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("view_working_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("act_working_seconds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("resolve_working_seconds", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_referrals_created_at_agreement", ["created_at", "agreement_id"], unique=False
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", _BIG, nullable=True))
        batch_op.add_column(sa.Column("chain_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint("uq_events_seq", ["seq"])
    # The sealing sweep looks for unsealed events only; keep that lookup off the whole log.
    op.create_index(
        "ix_events_unsealed",
        "events",
        ["id"],
        unique=False,
        postgresql_where=sa.text("seq IS NULL"),
        sqlite_where=sa.text("seq IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_events_unsealed", table_name="events")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_constraint("uq_events_seq", type_="unique")
        batch_op.drop_column("chain_hash")
        batch_op.drop_column("seq")
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_index("ix_referrals_created_at_agreement")
        batch_op.drop_column("resolve_working_seconds")
        batch_op.drop_column("act_working_seconds")
        batch_op.drop_column("view_working_seconds")
        batch_op.drop_column("acted_at")
