"""Tables of the figures' roll-up: counts and working-time histograms per agency, by day and month.

The supervising office asks for months, quarters, years and ranges of days over a year of
referrals; summing these small rows answers in milliseconds where aggregating a million referrals
takes seconds. :mod:`hub.supervision.figures.rollup` fills the day rows from ``referrals``,
``violations`` and
``feedback`` (by SQL, ``INSERT … SELECT``), each month's rows as the sum of its days, each
quarter's and year's as the sum of its months, and keeps them current; ``figure_refreshes`` says
when each month (its days and its own rows) was last brought up to date.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db.models import Base


class _Counts:
    """What a roll-up row counts: referrals received in its day or month, and violations recorded
    and citizen feedback given in it (each by its own date, as the figures report them)."""

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
    # Violations recorded, feedback given (migration 0006_figures_violations_feedback): the
    # satisfaction average is rating_sum / ratings, the reopen rate reopens / resolved.
    violations: Mapped[int]
    feedback: Mapped[int]
    ratings: Mapped[int]
    rating_sum: Mapped[int]
    reopens: Mapped[int]
    # Each deadline of the referrals not resolved, set and not met (migration
    # 0007_figures_open_deadlines): those past due at the moment of asking are missed; the
    # figures take away the few not due yet, counted live.
    view_open: Mapped[int]
    act_open: Mapped[int]
    result_open: Mapped[int]
    # Of the resolved: closed without being done, and refused on their merits (migration
    # 0009_figures_outcomes; referrals.outcome).
    resolved_unsuccessful: Mapped[int]
    rejected: Mapped[int]


class FigureMonth(_Counts, Base):
    """One agency's referrals received in one Jalali month, counted (what does not age with now).

    Rows labelled with a quarter or a year (``1405-Q3``, ``1405``) hold the sums of its months,
    so a quarter or a year is read from one row per agency.
    """

    __tablename__ = "figure_months"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 1405-08, 1405-Q3, 1405
    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class FigureBucket(Base):
    """How many of a month's referrals took a working time in one bucket (to view, to resolve)."""

    __tablename__ = "figure_buckets"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # as FigureMonth.month
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)  # view, resolve
    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(primary_key=True)  # hub.supervision.figures.histogram
    referrals: Mapped[int]


class FigureDay(_Counts, Base):
    """One agency's referrals received on one Tehran day, counted: what a range of days sums."""

    __tablename__ = "figure_days"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)  # 1405-08-15 (Jalali)
    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class FigureDayBucket(Base):
    """How many of a day's referrals took a working time in one bucket (to view, to resolve)."""

    __tablename__ = "figure_day_buckets"

    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    measure: Mapped[str] = mapped_column(String(8), primary_key=True)
    agreement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[int] = mapped_column(primary_key=True)
    referrals: Mapped[int]


class FigureRefresh(Base):
    """When a month's roll-up rows (its days and its own) were last made to agree with referrals.

    For a quarter or a year (``1405-Q3``, ``1405``): when its rows were last summed from its
    months; no row means a month has changed since, and the next read that needs it sums again.
    """

    __tablename__ = "figure_refreshes"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # as FigureMonth.month
    refreshed_at: Mapped[datetime]
