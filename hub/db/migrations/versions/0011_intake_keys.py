"""intake keys: the Idempotency-Key of each POST /v1/requests and the request it registered

Also joins the two 0010 branches (the audit's row MACs and the sweeps' runs) into one head.

Revision ID: 0011_intake_keys
Revises: 0010_audit_row_macs, 0010_sweep_runs
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.db.types

revision: str = "0011_intake_keys"
down_revision: str | Sequence[str] | None = ("0010_audit_row_macs", "0010_sweep_runs")
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "intake_keys",
        sa.Column("id", hub.db.types.BigId, autoincrement=True, nullable=False),
        sa.Column("caller", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("body_sha256", sa.String(length=64), nullable=False),
        sa.Column("request_id", hub.db.types.BigId, nullable=False),
        sa.Column("created_at", hub.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["requests.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("caller", "key", name="uq_intake_keys_caller_key"),
    )
    op.create_index("ix_intake_keys_request_id", "intake_keys", ["request_id"])


def downgrade() -> None:
    op.drop_index("ix_intake_keys_request_id", table_name="intake_keys")
    op.drop_table("intake_keys")
