"""agency messages kept whole, their attachments, and the review queue of replies

Revision ID: 0002_agency_messages
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.db.types

revision: str = "0002_agency_messages"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _when(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, hub.db.types.UtcDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "agency_messages",
        sa.Column("id", _ID, primary_key=True),
        sa.Column(
            "agency_update_id",
            _ID,
            sa.ForeignKey("agency_updates.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("referral_id", _ID, sa.ForeignKey("referrals.id")),
        sa.Column("message_id", sa.Text()),
        sa.Column("sender", sa.Text()),
        sa.Column("subject", sa.Text()),
        _when("sent_at"),
        sa.Column("headers", _JSON, nullable=False),
        sa.Column("text", sa.Text()),
        sa.Column("html", sa.Text()),
        sa.Column("original", sa.LargeBinary()),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        _when("received_at", nullable=False),
    )
    op.create_index("ix_agency_messages_referral_id", "agency_messages", ["referral_id"])
    op.create_table(
        "message_attachments",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("message_id", _ID, sa.ForeignKey("agency_messages.id"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("content_type", sa.String(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    op.create_index("ix_message_attachments_message_id", "message_attachments", ["message_id"])
    op.create_index("ix_message_attachments_sha256", "message_attachments", ["sha256"])
    op.create_table(
        "reply_reviews",
        sa.Column("id", _ID, primary_key=True),
        sa.Column(
            "agency_update_id",
            _ID,
            sa.ForeignKey("agency_updates.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("agreement_id", sa.String(64), nullable=False),
        sa.Column("referral_id", _ID, sa.ForeignKey("referrals.id")),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        _when("created_at", nullable=False),
        _when("alerted_at"),
        sa.Column("decided_by", sa.String(64)),
        _when("decided_at"),
        sa.Column("decided_state", sa.String(20)),
        sa.Column("decision_note", sa.Text()),
    )
    op.create_index("ix_reply_reviews_referral_id", "reply_reviews", ["referral_id"])
    op.create_index("ix_reply_reviews_state_created", "reply_reviews", ["state", "created_at"])


def downgrade() -> None:
    op.drop_table("reply_reviews")
    op.drop_table("message_attachments")
    op.drop_table("agency_messages")
