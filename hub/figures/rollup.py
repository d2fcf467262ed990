"""The roll-up by day and by month: filled from ``referrals`` by SQL, kept current before each read.

Each (agency, Tehran day of receipt) has one ``figure_days`` row of counts and its
``figure_day_buckets`` rows (working time to view and to resolve, see
:mod:`hub.figures.histogram`), computed by ``INSERT … SELECT`` over the referrals, never row by
row in Python (:mod:`hub.figures.rows`). Each (agency, Jalali month) has the sums of its days in
``figure_months`` and ``figure_buckets``: a month, quarter or year reads its months' rows, a range
of days reads its days' rows where it cuts a month; both are exact and always agree.

Keeping them current: every change to a referral moves its ``updated_at`` (indexed). Before the
figures of a period are read, :func:`refresh` looks for referrals of the period's months changed
since each month was last refreshed — less :attr:`Settings.figures_refresh_lag_seconds`, so a
transaction that stamped ``updated_at`` before the last refresh but committed after it is still
seen — and recomputes the days and the month of only those (agency, month) pairs. A month never
computed is computed whole. The beat sweep ``hub.refresh_figures`` does the same for this month
and the last, so a read usually finds nothing to do. On PostgreSQL refreshes take turns under an
advisory lock and commit on their own connection; changes made behind the hub's back (SQL by
hand) need ``refresh(..., rebuild=True)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from hub.db.models import Referral
from hub.db.models_figures import (
    FigureBucket,
    FigureDay,
    FigureDayBucket,
    FigureMonth,
    FigureRefresh,
)
from hub.db.types import utcnow
from hub.figures import rows
from hub.figures.periods import Period, parse_period
from hub.settings import get_settings

_LOCK = 7_301_405  # pg_advisory_xact_lock key of figure refreshes


def _recompute(session: Session, month: Period, agencies: Sequence[str] | None) -> None:
    """Redo ``month``'s day rows from referrals, then its month rows from those days."""
    first, last = rows.day_span(month)
    for table in (FigureDay, FigureDayBucket):
        gone = delete(table).where(table.day.between(first, last))
        session.execute(_of(gone, table, agencies))
    for table in (FigureMonth, FigureBucket):
        session.execute(_of(delete(table).where(table.month == month.label), table, agencies))
    _insert(session, FigureDay, rows.day_counts(month, agencies))
    for buckets in rows.day_buckets(month, agencies):
        _insert(session, FigureDayBucket, buckets)
    _insert(session, FigureMonth, rows.counts_of_days(month, agencies))
    _insert(session, FigureBucket, rows.buckets_of_days(month, agencies))


def _of(statement: Any, table: Any, agencies: Sequence[str] | None) -> Any:
    return statement if agencies is None else statement.where(table.agreement_id.in_(agencies))


def _insert(session: Session, table: Any, query: Select[Any]) -> None:
    names = [column.name for column in query.selected_columns]  # type: ignore[attr-defined]
    session.execute(table.__table__.insert().from_select(names, query))


def _dirty(session: Session, months: Sequence[Period], since: datetime) -> dict[str, set[str]]:
    """The agencies of each month with a referral changed at or after ``since``."""
    label = case(*((Referral.created_at < m.end, m.label) for m in months), else_=None)
    found_rows = session.execute(
        select(Referral.agreement_id, label)
        .where(
            Referral.updated_at >= since,
            Referral.created_at >= months[0].start,
            Referral.created_at < months[-1].end,
        )
        .group_by(Referral.agreement_id, label)
    )
    found: dict[str, set[str]] = defaultdict(set)
    for agreement_id, month in found_rows:
        found[month].add(agreement_id)
    return found


def whole_months(period: Period) -> list[Period]:
    """The Jalali months of ``period`` that it covers from their first day to their last."""
    return [
        month
        for month in touched_months(period)
        if month.start >= period.start and month.end <= period.end
    ]


def touched_months(period: Period) -> list[Period]:
    """Every Jalali month ``period`` touches, whole (a range of days may cut the first and last)."""
    return [parse_period(cut.label) for cut in period.months()]


def refresh(session: Session, period: Period, *, rebuild: bool = False) -> int:
    """Bring the roll-up of every month ``period`` touches up to date; the (agency, month) redone.

    A month is redone whole, its days and its own row, even when ``period`` only cuts it.
    """
    months = touched_months(period)
    with _refresh_session(session) as writer:
        started = utcnow()
        marks = dict(
            writer.execute(
                select(FigureRefresh.month, FigureRefresh.refreshed_at).where(
                    FigureRefresh.month.in_([m.label for m in months])
                )
            ).all()
        )
        redone = 0
        known = [m for m in months if m.label in marks and not rebuild]
        for month in months:
            if month not in known:
                _recompute(writer, month, None)
                redone += 1
        if known:
            lag = timedelta(seconds=get_settings().figures_refresh_lag_seconds)
            since = min(marks[m.label] for m in known) - lag
            by_label = {m.label: m for m in known}
            for label, agencies in _dirty(writer, known, since).items():
                if label in by_label:
                    _recompute(writer, by_label[label], sorted(agencies))
                    redone += len(agencies)
        _mark(writer, months, started)
        return redone


def _mark(session: Session, months: Sequence[Period], at: datetime) -> None:
    labels = [m.label for m in months]
    session.execute(delete(FigureRefresh).where(FigureRefresh.month.in_(labels)))
    session.add_all(FigureRefresh(month=label, refreshed_at=at) for label in labels)
    session.flush()


@contextmanager
def _refresh_session(session: Session) -> Iterator[Session]:
    """PostgreSQL: a short transaction of its own, one refresh at a time. SQLite: the caller's."""
    if session.get_bind().dialect.name != "postgresql":
        yield session
        return
    with Session(bind=session.get_bind()) as writer, writer.begin():
        writer.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
        yield writer
