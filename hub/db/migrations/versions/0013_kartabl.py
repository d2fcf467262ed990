"""kartabl: the units of a portal agency's people, and who each referral is assigned to

Revision ID: 0013_kartabl
Revises: 0012_referral_trace
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision: str = "0013_kartabl"
down_revision: str | Sequence[str] | None = "0012_referral_trace"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "kartabl_members",
        sa.Column("user_id", _ID, sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(32)),
    )
    op.create_index("ix_kartabl_members_agreement_id", "kartabl_members", ["agreement_id"])
    op.create_table(
        "kartabl_assignments",
        sa.Column("referral_id", _ID, sa.ForeignKey("referrals.id"), primary_key=True),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("unit", sa.String(32)),
        sa.Column("assignee_id", _ID, sa.ForeignKey("users.id")),
        sa.Column("assigned_by", sa.String(64), nullable=False),
        sa.Column("assigned_at", hub.db.types.UtcDateTime(timezone=True), nullable=False),
    )
    for column in ("agreement_id", "unit", "assignee_id"):
        op.create_index(f"ix_kartabl_assignments_{column}", "kartabl_assignments", [column])


def downgrade() -> None:
    for column in ("agreement_id", "unit", "assignee_id"):
        op.drop_index(f"ix_kartabl_assignments_{column}", table_name="kartabl_assignments")
    op.drop_table("kartabl_assignments")
    op.drop_index("ix_kartabl_members_agreement_id", table_name="kartabl_members")
    op.drop_table("kartabl_members")
