"""The monthly roll-up: filled from ``referrals`` by SQL, kept current before each read.

Each (agency, Jalali month of receipt) has one ``figure_months`` row of counts and its
``figure_buckets`` rows (working time to view and to resolve, see :mod:`hub.figures.histogram`).
They are computed by ``INSERT … SELECT`` over that month's referrals, never row by row in Python.

Keeping them current: every change to a referral moves its ``updated_at`` (indexed). Before the
figures of a period are read, :func:`refresh` looks for referrals of the period's months changed
since each month was last refreshed — less :attr:`Settings.figures_refresh_lag_seconds`, so a
transaction that stamped ``updated_at`` before the last refresh but committed after it is still
seen — and recomputes only those (agency, month) rows. A month never computed is computed whole.
The beat sweep ``hub.refresh_figures`` does the same for this month and the last, so a read
usually finds nothing to do. On PostgreSQL refreshes take turns under an advisory lock and commit
on their own connection; changes made behind the hub's back (SQL by hand) need ``refresh(...,
rebuild=True)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, literal, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from hub.db.models import Referral
from hub.db.models_figures import FigureBucket, FigureMonth, FigureRefresh
from hub.db.types import utcnow
from hub.figures.histogram import bucket_sql
from hub.figures.periods import Period, parse_period
from hub.settings import get_settings
from hub.states import ReferralState

_LOCK = 7_301_405  # pg_advisory_xact_lock key of figure refreshes
MEASURES = {"view": Referral.view_working_seconds, "resolve": Referral.resolve_working_seconds}


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def seen() -> ColumnElement[Any]:
    return func.coalesce(Referral.viewed_at, Referral.acted_at, Referral.resolved_at)


def acted() -> ColumnElement[Any]:
    return func.coalesce(Referral.acted_at, Referral.resolved_at)


def _met_and_done(done: Any, due: Any) -> tuple[ColumnElement[int], ColumnElement[int]]:
    both = and_(done.is_not(None), due.is_not(None))
    return _count(and_(both, done <= due)), _count(both)


def _received_in(start: datetime, end: datetime, agencies: Sequence[str] | None) -> list[Any]:
    where: list[Any] = [Referral.created_at >= start, Referral.created_at < end]
    if agencies is not None:
        where.append(Referral.agreement_id.in_(agencies))
    return where


def month_counts(
    month: Period, start: datetime, end: datetime, agencies: Sequence[str] | None = None
) -> Select[Any]:
    """Rows shaped like ``figure_months`` for referrals received in ``[start, end)``."""
    view_met, view_done = _met_and_done(seen(), Referral.view_due_at)
    act_met, act_done = _met_and_done(acted(), Referral.act_due_at)
    result_met, result_done = _met_and_done(Referral.resolved_at, Referral.result_due_at)
    failed = Referral.state == str(ReferralState.DELIVERY_FAILED)
    return (
        select(
            literal(month.label).label("month"),
            Referral.agreement_id.label("agreement_id"),
            func.count().label("received"),
            _count(Referral.delivered_at.is_not(None)).label("delivered"),
            _count(Referral.resolved_at.is_not(None)).label("resolved"),
            _count(failed).label("delivery_failures"),
            view_met.label("view_met"),
            view_done.label("view_done"),
            act_met.label("act_met"),
            act_done.label("act_done"),
            result_met.label("result_met"),
            result_done.label("result_done"),
        )
        .where(*_received_in(start, end, agencies))
        .group_by(Referral.agreement_id)
    )


def month_buckets(
    month: Period, start: datetime, end: datetime, agencies: Sequence[str] | None = None
) -> list[Select[Any]]:
    """Rows shaped like ``figure_buckets``, one query per measure."""
    selects = []
    for measure, column in MEASURES.items():
        bucket = bucket_sql(column)
        selects.append(
            select(
                literal(month.label).label("month"),
                literal(measure).label("measure"),
                Referral.agreement_id.label("agreement_id"),
                bucket.label("bucket"),
                func.count().label("referrals"),
            )
            .where(*_received_in(start, end, agencies), column.is_not(None))
            .group_by(Referral.agreement_id, bucket)
        )
    return selects


def _recompute(session: Session, month: Period, agencies: Sequence[str] | None) -> None:
    for table in (FigureMonth, FigureBucket):
        gone = delete(table).where(table.month == month.label)
        if agencies is not None:
            gone = gone.where(table.agreement_id.in_(agencies))
        session.execute(gone)
    counts = month_counts(month, month.start, month.end, agencies)
    session.execute(FigureMonth.__table__.insert().from_select(_names(counts), counts))
    for buckets in month_buckets(month, month.start, month.end, agencies):
        session.execute(FigureBucket.__table__.insert().from_select(_names(buckets), buckets))


def _names(query: Select[Any]) -> list[str]:
    return [column.name for column in query.selected_columns]  # type: ignore[attr-defined]


def _dirty(session: Session, months: Sequence[Period], since: datetime) -> dict[str, set[str]]:
    """The agencies of each month with a referral changed at or after ``since``."""
    label = case(*((Referral.created_at < m.end, m.label) for m in months), else_=None)
    rows = session.execute(
        select(Referral.agreement_id, label)
        .where(
            Referral.updated_at >= since,
            Referral.created_at >= months[0].start,
            Referral.created_at < months[-1].end,
        )
        .group_by(Referral.agreement_id, label)
    )
    found: dict[str, set[str]] = defaultdict(set)
    for agreement_id, month in rows:
        found[month].add(agreement_id)
    return found


def whole_months(period: Period) -> list[Period]:
    """The Jalali months of ``period`` that it covers from their first day to their last."""
    months = []
    for cut in period.months():
        month = parse_period(cut.label)
        if (cut.start, cut.end) == (month.start, month.end):
            months.append(month)
    return months


def refresh(session: Session, period: Period, *, rebuild: bool = False) -> int:
    """Bring the roll-up of ``period``'s whole months up to date; the (agency, month) rows redone.

    A partial month (the ends of a range of days) is never stored: reads compute it live.
    """
    months = whole_months(period)
    if not months:
        return 0
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
