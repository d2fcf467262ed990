"""The kartabl's own rows: which unit a person works in, and who a referral is assigned to.

The referral itself, its state, deadlines and events stay in the referrals' tables: the kartabl
adds only what an agency without software needs to share its work out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base
from hub.db.types import BigId, utcnow


class KartablMember(Base):
    """A kartabl user's unit inside the agency (a lead may have none: they see everything)."""

    __tablename__ = "kartabl_members"

    user_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("users.id"), primary_key=True, autoincrement=False
    )
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    unit: Mapped[str | None] = mapped_column(String(32))


class KartablAssignment(Base):
    """Where a referral is inside the agency: a unit, and maybe one person of it."""

    __tablename__ = "kartabl_assignments"

    referral_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("referrals.id"), primary_key=True, autoincrement=False
    )
    agreement_id: Mapped[str] = mapped_column(String(64), index=True)
    unit: Mapped[str | None] = mapped_column(String(32), index=True)
    assignee_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id"), index=True)
    assigned_by: Mapped[str] = mapped_column(String(64))
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
