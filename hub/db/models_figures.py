"""Tables of the figures' monthly roll-up: counts and working-time histograms per agency and month.

The supervising office asks for months, quarters and years over a year of referrals; summing
these small rows answers in milliseconds where aggregating a million referrals takes seconds.
:mod:`hub.figures.rollup` fills them from ``referrals`` (by SQL, ``INSERT … SELECT``) and keeps
them current; ``figure_refreshes`` says when each month was last brought up to date.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base


class FigureMonth(Base):
    """One agency's referrals received in one Jalali month, counted (what does not age with now)."""

    __tablename__ = "figure_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 1405-08
    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received: Mapped[int]
    delivered: Mapped[int]
    resolved: Mapped[int]
    delivery_failures: Mapped[int]
    # For each deadline: done by its time, and done at all (with a deadline set).
    view_met: Mapped[int]
    view_done: Mapped[int]
    act_met: Mapped[int]
    act_done: Mapped[int]
    result_met: Mapped[int]
    result_done: Mapped[int]


class FigureBucket(Base):
    """How many of those referrals took a working time in one bucket (to view, to resolve)."""

    __tablename__ = "figure_buckets"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)  # view, resolve
    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(primary_key=True)  # hub.figures.histogram
    referrals: Mapped[int]


class FigureRefresh(Base):
    """When a month's roll-up rows were last made to agree with ``referrals``."""

    __tablename__ = "figure_refreshes"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)
    refreshed_at: Mapped[datetime]
