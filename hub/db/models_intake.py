"""Idempotency keys of intake: the same call sent twice registers one request."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import BigId, utcnow


class IntakeKey(Base):
    """An ``Idempotency-Key`` a caller sent with ``POST /v1/requests``, and what it registered.

    Keys are the caller's (two call-centre clients may both use ``1``), so they are unique per
    caller; the body's SHA-256 tells a retry (same body: the same answer again) from a key
    reused for another request (refused). Kept with the request, like its events; ``answer`` is
    the first answer's body, replayed as it was (its referrals were pending then, and may be
    delivered by the time the retry comes).
    """

    __tablename__ = "intake_keys"
    __table_args__ = (UniqueConstraint("caller", "key", name="uq_intake_keys_caller_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    caller: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    body_sha256: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The first answer, as sent: a retry gets it again, not the request as it is by then.
    answer: Mapped[dict[str, Any] | None]
