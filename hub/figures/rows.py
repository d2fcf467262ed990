"""The ``SELECT``\\ s over the roll-up's rows: days from ``referrals``, months from days, periods.

A day is a Tehran day (midnight to midnight, as :meth:`Period.days` cuts it), labelled with its
Jalali date; the label is computed in SQL by comparing ``created_at`` with the day boundaries of
the month, so it is exact across Iran's old summer-time changes and the same on every database.
A month's rows are the sums of its days' rows, so a month and its days always agree, and
:func:`of_period` reads any period from them: whole months from the month rows, and where a range
of days cuts a month, the days it covers — or the month less the days it leaves out, whichever
reads fewer days (at most half a month at each end of a range).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.sql import Select, Subquery
from sqlalchemy.sql.elements import ColumnElement

from hub.db.models import Referral
from hub.db.models_figures import FigureBucket, FigureDay, FigureDayBucket, FigureMonth
from hub.figures.histogram import bucket_sql
from hub.figures.periods import Period, parse_period
from hub.states import ReferralState

MEASURES = {"view": Referral.view_working_seconds, "resolve": Referral.resolve_working_seconds}
COUNTS = [c.name for c in FigureMonth.__table__.columns if c.name not in ("month", "agreement_id")]


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def seen() -> ColumnElement[Any]:
    return func.coalesce(Referral.viewed_at, Referral.acted_at, Referral.resolved_at)


def acted() -> ColumnElement[Any]:
    return func.coalesce(Referral.acted_at, Referral.resolved_at)


def _met_and_done(done: Any, due: Any) -> tuple[ColumnElement[int], ColumnElement[int]]:
    both = and_(done.is_not(None), due.is_not(None))
    return _count(and_(both, done <= due)), _count(both)


def day_span(period: Period) -> tuple[str, str]:
    """The labels of the first and last day of ``period`` (for ``day BETWEEN … AND …``)."""
    days = period.days()
    return days[0].label, days[-1].label


def _day_of(month: Period) -> ColumnElement[str]:
    """The Jalali day label of ``Referral.created_at``, for referrals received in ``month``."""
    return case(*((Referral.created_at < day.end, day.label) for day in month.days()))


def _received_in(month: Period, agencies: Sequence[str] | None) -> list[Any]:
    where: list[Any] = [Referral.created_at >= month.start, Referral.created_at < month.end]
    if agencies is not None:
        where.append(Referral.agreement_id.in_(agencies))
    return where


def day_counts(month: Period, agencies: Sequence[str] | None = None) -> Select[Any]:
    """Rows shaped like ``figure_days`` for the referrals received in ``month``."""
    view_met, view_done = _met_and_done(seen(), Referral.view_due_at)
    act_met, act_done = _met_and_done(acted(), Referral.act_due_at)
    result_met, result_done = _met_and_done(Referral.resolved_at, Referral.result_due_at)
    failed = Referral.state == str(ReferralState.DELIVERY_FAILED)
    day = _day_of(month)
    return (
        select(
            day.label("day"),
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
        .where(*_received_in(month, agencies))
        .group_by(Referral.agreement_id, day)
    )


def day_buckets(month: Period, agencies: Sequence[str] | None = None) -> list[Select[Any]]:
    """Rows shaped like ``figure_day_buckets`` for ``month``'s referrals, one query per measure."""
    selects = []
    day = _day_of(month)
    for measure, column in MEASURES.items():
        bucket = bucket_sql(column)
        selects.append(
            select(
                day.label("day"),
                literal(measure).label("measure"),
                Referral.agreement_id.label("agreement_id"),
                bucket.label("bucket"),
                func.count().label("referrals"),
            )
            .where(*_received_in(month, agencies), column.is_not(None))
            .group_by(Referral.agreement_id, day, bucket)
        )
    return selects


def _of_days(table: Any, period: Period, agencies: Sequence[str] | None) -> list[Any]:
    first, last = day_span(period)
    where = [table.day.between(first, last)]
    if agencies is not None:
        where.append(table.agreement_id.in_(agencies))
    return where


def counts_of_days(period: Period, agencies: Sequence[str] | None = None) -> Select[Any]:
    """``figure_months``-shaped rows labelled ``period.label``: the sums of its stored days."""
    return (
        select(
            literal(period.label).label("month"),
            FigureDay.agreement_id,
            *(func.sum(FigureDay.__table__.c[name]).label(name) for name in COUNTS),
        )
        .where(*_of_days(FigureDay, period, agencies))
        .group_by(FigureDay.agreement_id)
    )


def buckets_of_days(period: Period, agencies: Sequence[str] | None = None) -> Select[Any]:
    """``figure_buckets``-shaped rows labelled ``period.label``: the sums of its stored days."""
    table = FigureDayBucket
    return (
        select(
            literal(period.label).label("month"),
            table.measure,
            table.agreement_id,
            table.bucket,
            func.sum(table.referrals).label("referrals"),
        )
        .where(*_of_days(table, period, agencies))
        .group_by(table.measure, table.agreement_id, table.bucket)
    )


def of_period(period: Period, only: str | None = None) -> tuple[Subquery, Subquery]:
    """``figure_months``- and ``figure_buckets``-shaped rows that sum, per month, to ``period``'s.

    Only agency ``only``'s, when given. A month read as "less the days left out" has rows of
    negative counts, so a key may sum to zero where the period has none: callers drop those.
    """
    months: list[str] = []
    counts: list[Select[Any]] = []
    buckets: list[Select[Any]] = []
    for cut in period.months():
        month = parse_period(cut.label)
        if (cut.start, cut.end) == (month.start, month.end):
            months.append(month.label)
        elif 2 * len(cut.days()) <= len(month.days()):
            counts.append(_day_counts(cut.label, cut, 1, only))
            buckets.append(_day_buckets(cut.label, cut, 1, only))
        else:
            months.append(month.label)
            for left_out in (
                Period(month.label, month.start, cut.start),
                Period(month.label, cut.end, month.end),
            ):
                if left_out.start < left_out.end:
                    counts.append(_day_counts(month.label, left_out, -1, only))
                    buckets.append(_day_buckets(month.label, left_out, -1, only))
    counts.insert(0, _month_counts(months, only))
    buckets.insert(0, _month_buckets(months, only))
    return union_all(*counts).subquery(), union_all(*buckets).subquery()


def _only(table: Any, only: str | None) -> list[Any]:
    return [table.agreement_id == only] if only else []


def _month_counts(labels: list[str], only: str | None) -> Select[Any]:
    columns = (FigureMonth.__table__.c[name] for name in ("month", "agreement_id", *COUNTS))
    return select(*columns).where(FigureMonth.month.in_(labels), *_only(FigureMonth, only))


def _month_buckets(labels: list[str], only: str | None) -> Select[Any]:
    table = FigureBucket
    return select(table.__table__).where(table.month.in_(labels), *_only(table, only))


def _signed(column: Any, sign: int) -> Any:
    return column if sign > 0 else -column


def _day_counts(label: str, days: Period, sign: int, only: str | None) -> Select[Any]:
    """The stored days of ``days``, as rows of month ``label``, their counts times ``sign``."""
    first, last = day_span(days)
    return select(
        literal(label).label("month"),
        FigureDay.agreement_id,
        *(_signed(FigureDay.__table__.c[name], sign).label(name) for name in COUNTS),
    ).where(FigureDay.day.between(first, last), *_only(FigureDay, only))


def _day_buckets(label: str, days: Period, sign: int, only: str | None) -> Select[Any]:
    first, last = day_span(days)
    table = FigureDayBucket
    return select(
        literal(label).label("month"),
        table.measure,
        table.agreement_id,
        table.bucket,
        _signed(table.referrals, sign).label("referrals"),
    ).where(table.day.between(first, last), *_only(table, only))
