"""Tables of deadlines and what follows them: escalation steps, violations, notifications,
citizen feedback.

Each row is written *before* anything is sent, and is unique for what it stands for, so a step or
a message is never taken twice — not by two sweepers, not after a crash.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import BigId, utcnow


class EscalationStep(Base):
    """One rung of an agreement's ladder, taken once for one referral.

    ``key`` names the rung, the round of a repeating rung and the deadline instance
    (``result:3:r2@2026-05-01T10:00:00+00:00``): a reopen gives new due times, so new keys.
    """

    __tablename__ = "escalation_steps"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    key: Mapped[str] = mapped_column(String(128))
    deadline: Mapped[str] = mapped_column(String(8))  # view, act, result
    action: Mapped[str] = mapped_column(String(32))  # remind_agency, notify_supervisor, …
    at_percent: Mapped[int]
    round: Mapped[int] = mapped_column(default=0)  # 0 the first time, then each repeat
    due_at: Mapped[datetime]  # the deadline this step is about
    fire_at: Mapped[datetime]  # when the ladder said it should be taken
    taken_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("referral_id", "key"),)


class Violation(Base):
    """A deadline missed: the first-class record the supervision figures and reports read.

    One per referral, deadline and deadline instance; ``late_seconds`` is working time past
    ``due_at``, brought up to date each time a repeating rung fires while it is still late.
    """

    __tablename__ = "violations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    deadline: Mapped[str] = mapped_column(String(8))  # view, act, result
    due_at: Mapped[datetime]
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    late_seconds: Mapped[int] = mapped_column(default=0)  # working time past due_at
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("referral_id", "deadline", "due_at"),)


class Notification(Base):
    """One message to one recipient by one channel, recorded before it is sent.

    ``key`` is unique: ``request:17:intake:sms``, ``referral:42:result:email``,
    ``step:9:notify_supervisor``. A sweep claims due rows (``next_attempt_at``) and sends them
    through the notifier of their channel; transient failures come back with a backoff.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(32), index=True)  # citizen_intake, remind_agency …
    channel: Mapped[str] = mapped_column(String(16))  # sms, email, or a plugin's channel
    recipient: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), index=True)
    referral_id: Mapped[int | None] = mapped_column(ForeignKey("referrals.id"), index=True)
    agreement_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)  # NotificationStatus
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True)
    last_error: Mapped[str | None] = mapped_column(Text)
    provider_ref: Mapped[str | None] = mapped_column(String(128))  # the gateway's message id
    detail: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class Feedback(Base):
    """A citizen's rating of a result (1–5), and whether they reopened it."""

    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    rating: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(Text)
    reopened: Mapped[bool] = mapped_column(default=False)
    result_at: Mapped[datetime]  # the result being judged (referral.resolved_at then)
    # Indexed: the figures read feedback given in a period (migration 0004_feedback_by_date).
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    __table_args__ = (
        UniqueConstraint("referral_id", "result_at"),
        Index("ix_feedback_agreement_reopened", "agreement_id", "reopened"),
    )
