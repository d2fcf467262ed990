"""deadlines: escalation steps, violations, notifications, feedback; referrals.deadlines_started_at

Revision ID: 0002_deadlines
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.db.types

revision: str = "0002_deadlines"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, hub.db.types.UtcDateTime(), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(_time("deadlines_started_at", nullable=True))
    op.create_table(
        "escalation_steps",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("referral_id", _ID, sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("deadline", sa.String(8), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("at_percent", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        _time("due_at"),
        _time("fire_at"),
        _time("taken_at"),
        sa.UniqueConstraint("referral_id", "key"),
    )
    op.create_index("ix_escalation_steps_referral_id", "escalation_steps", ["referral_id"])
    op.create_index("ix_escalation_steps_agreement_id", "escalation_steps", ["agreement_id"])
    op.create_table(
        "violations",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("referral_id", _ID, sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column("deadline", sa.String(8), nullable=False),
        _time("due_at"),
        _time("recorded_at"),
        sa.Column("late_seconds", sa.Integer(), nullable=False),
        _time("updated_at"),
        sa.UniqueConstraint("referral_id", "deadline", "due_at"),
    )
    op.create_index("ix_violations_agreement_id", "violations", ["agreement_id"])
    op.create_index("ix_violations_referral_id", "violations", ["referral_id"])
    op.create_index("ix_violations_recorded_at", "violations", ["recorded_at"])
    op.create_table(
        "notifications",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("key", sa.String(160), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("recipient", sa.String(255), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("request_id", _ID, sa.ForeignKey("requests.id"), nullable=True),
        sa.Column("referral_id", _ID, sa.ForeignKey("referrals.id"), nullable=True),
        sa.Column("agreement_id", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _time("next_attempt_at", nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("provider_ref", sa.String(128), nullable=True),
        sa.Column("detail", _JSON, nullable=True),
        _time("created_at"),
        _time("sent_at", nullable=True),
    )
    for column in ("kind", "status", "next_attempt_at", "request_id", "referral_id"):
        op.create_index(f"ix_notifications_{column}", "notifications", [column])
    op.create_table(
        "feedback",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("request_id", _ID, sa.ForeignKey("requests.id"), nullable=False),
        sa.Column("referral_id", _ID, sa.ForeignKey("referrals.id"), nullable=False),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        _time("result_at"),
        _time("created_at"),
        sa.UniqueConstraint("referral_id", "result_at"),
    )
    op.create_index("ix_feedback_request_id", "feedback", ["request_id"])
    op.create_index("ix_feedback_referral_id", "feedback", ["referral_id"])
    op.create_index("ix_feedback_agreement_id", "feedback", ["agreement_id"])
    op.create_index("ix_feedback_agreement_reopened", "feedback", ["agreement_id", "reopened"])


def downgrade() -> None:
    op.drop_table("feedback")
    op.drop_table("notifications")
    op.drop_table("violations")
    op.drop_table("escalation_steps")
    with op.batch_alter_table("referrals") as batch:
        batch.drop_column("deadlines_started_at")
