"""What agencies wrote, kept whole: their messages, the files attached, and the review queue.

An agency's reply mail is stored as it came (its RFC 822 bytes) and as a person reads it
(headers, text, HTML, each attachment with its type, name, size and SHA-256), beside the
``agency_updates`` row it produced. Attachments are rows holding their bytes, not files: they
commit in the same transaction as the update (the mailbox is told to forget a mail only after
that commit), every API process on every machine can serve them, and a database backup holds
them. A reply the hub could not interpret waits in ``reply_reviews`` until a person applies
what it means or dismisses it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import BigId, Json, utcnow


class AgencyMessage(Base):
    """One message an agency sent (a reply mail), attached to its referral when known."""

    __tablename__ = "agency_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_update_id: Mapped[int] = mapped_column(ForeignKey("agency_updates.id"), unique=True)
    agreement_id: Mapped[str] = mapped_column(String(64))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    message_id: Mapped[str | None] = mapped_column(Text)
    sender: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]  # its Date header
    headers: Mapped[list[Any]] = mapped_column(Json)  # [name, value] pairs, in order
    text: Mapped[str | None] = mapped_column(Text)  # the plain part, whole (quotes included)
    html: Mapped[str | None] = mapped_column(Text)  # kept, never rendered as a page
    original: Mapped[bytes | None] = mapped_column(LargeBinary)  # the RFC 822 bytes as received
    size: Mapped[int] = mapped_column(default=0)
    late: Mapped[bool] = mapped_column(default=False)  # came after the referral was answered
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class MessageAttachment(Base):
    """One file of an agency's message: an official letter (PDF, JPEG …), a forwarded mail."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("agency_messages.id"), index=True)
    position: Mapped[int]  # its order in the message
    filename: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ReplyReview(Base):
    """An agency update the hub could not interpret, waiting for a person (or decided by one)."""

    __tablename__ = "reply_reviews"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agency_update_id: Mapped[int] = mapped_column(ForeignKey("agency_updates.id"), unique=True)
    agreement_id: Mapped[str] = mapped_column(String(64))
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))  # ReviewState: pending, applied, dismissed
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    alerted_at: Mapped[datetime | None]  # the one alert once it waited too long
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[datetime | None]
    decided_state: Mapped[str | None] = mapped_column(String(20))  # the hub state applied
    decision_note: Mapped[str | None] = mapped_column(Text)  # the result applied, or why dismissed

    __table_args__ = (Index("ix_reply_reviews_state_created", "state", "created_at"),)
