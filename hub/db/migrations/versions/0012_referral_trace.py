"""referral trace: the W3C traceparent of the intake that made each referral (OpenTelemetry)

A delivery task pushes the referrals of many requests; the push of each continues the trace of
the request it came from (hub.core.telemetry). Empty when traces are off.

Revision ID: 0012_referral_trace
Revises: 0011_intake_keys
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_referral_trace"
down_revision: str | Sequence[str] | None = "0011_intake_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("trace_parent", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("trace_parent")
