"""The failure digests: each one recorded before it is sent, once per day and recipient."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import BigId, utcnow


class FailureDigest(Base):
    """One day's failed deliveries, told to one recipient (an admin or an agency contact)."""

    __tablename__ = "failure_digests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    day: Mapped[str] = mapped_column(String(10))  # ISO date (UTC) the digest covers up to
    recipient: Mapped[str] = mapped_column(String(255))
    agreement_id: Mapped[str | None] = mapped_column(String(64))  # None: the admins' digest
    referral_count: Mapped[int]
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # recorded, sent, failed, not_sent
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (UniqueConstraint("day", "recipient"),)
