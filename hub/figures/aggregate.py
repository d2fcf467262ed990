"""The figures, computed by the database: one grouped query per source, no rows loaded.

Referrals received in the period are grouped by a key (the agency, the Jalali month, both, or
nothing for the province) and counted with ``CASE`` sums; medians and 90th percentiles of working
time are ``percentile_cont`` on PostgreSQL and a window-function nearest rank on SQLite (the
embedded hub). Violations and citizen feedback come from their own tables, grouped the same way
by their own dates. Working times were stored at transition time (:mod:`hub.handling_time`).

On-time rates count a deadline once it is decided: met or missed, or still unmet past its time.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from hub.db.models import Referral
from hub.figures.periods import Period
from hub.states import POLLED, ReferralState

S = ReferralState
Key = tuple[Any, ...]

# Open: the agency still owes an answer. Overdue: open and past a deadline it has not met.
_OPEN = [str(s) for s in (*POLLED, S.PENDING, S.DELIVERING)]
_PERCENTILES = {
    "view_median_seconds": ("view_working_seconds", 0.5),
    "view_p90_seconds": ("view_working_seconds", 0.9),
    "resolve_median_seconds": ("resolve_working_seconds", 0.5),
    "resolve_p90_seconds": ("resolve_working_seconds", 0.9),
}


def month_bucket(column: Any, months: Sequence[Period]) -> ColumnElement[int]:
    """The index of the month ``column`` falls in (months are consecutive), as SQL."""
    whens = [(column < month.end, index) for index, month in enumerate(months)]
    return case(*whens, else_=-1)


def _key_columns(
    column: Any, by_agency: bool, months: Sequence[Period] | None, postgres: bool = False
) -> list[Any]:
    keys: list[Any] = []
    if by_agency:
        agency = column.table.c.agreement_id
        # Grouping sorts by the key: byte order ("C") sorts far faster than a locale's rules.
        keys.append(agency.collate("C").label("agreement_id") if postgres else agency)
    if months is not None:
        keys.append(month_bucket(column, months))
    return keys


def _agency_filter(column: Any, only: str | None) -> ColumnElement[bool]:
    return column.table.c.agreement_id == only if only else true()


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _seen() -> ColumnElement[Any]:
    return func.coalesce(Referral.viewed_at, Referral.acted_at, Referral.resolved_at)


def _acted() -> ColumnElement[Any]:
    return func.coalesce(Referral.acted_at, Referral.resolved_at)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.sum(case((condition, 1), else_=0))


def _on_time(done: Any, due: Any, now: datetime) -> tuple[ColumnElement[int], ColumnElement[int]]:
    met = _count(and_(done.is_not(None), due.is_not(None), done <= due))
    decided = _count(and_(due.is_not(None), or_(done.is_not(None), due < now)))
    return met, decided


def _period_filter(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def referral_counts(
    session: Session,
    period: Period,
    now: datetime,
    by_agency: bool,
    months: Sequence[Period] | None,
    with_total: bool = False,
    only: str | None = None,
) -> dict[Key, dict[str, Any]]:
    """Received, delivered, on-time counts and failures per key, for referrals of the period.

    ``with_total`` adds the row of all keys together under the key ``(None,)`` — on PostgreSQL
    in the same scan (``GROUPING SETS``), elsewhere by a second query.
    """
    if not _is_postgres(session):
        found = _referral_counts(session, period, now, by_agency, months, False, only)
        if with_total:
            total = _referral_counts(session, period, now, False, None, False, only)
            found[(None,)] = total.get((), {})
        return found
    # Percentiles sort in memory; the default 4 MB would spill a year of them to disk.
    session.execute(text("SET LOCAL work_mem = '256MB'"))
    return _referral_counts(session, period, now, by_agency, months, with_total, only)


def _referral_counts(session, period, now, by_agency, months, with_total, only):  # type: ignore[no-untyped-def]
    keys = _key_columns(Referral.created_at, by_agency, months, _is_postgres(session))
    view_met, view_decided = _on_time(_seen(), Referral.view_due_at, now)
    act_met, act_decided = _on_time(_acted(), Referral.act_due_at, now)
    result_met, result_decided = _on_time(Referral.resolved_at, Referral.result_due_at, now)
    measures = {
        "received": func.count(),
        "delivered": _count(Referral.delivered_at.is_not(None)),
        "resolved": _count(Referral.resolved_at.is_not(None)),
        "view_met": view_met,
        "view_decided": view_decided,
        "act_met": act_met,
        "act_decided": act_decided,
        "result_met": result_met,
        "result_decided": result_decided,
        "delivery_failures": _count(Referral.state == str(S.DELIVERY_FAILED)),
    }
    if _is_postgres(session):
        for name, (column, fraction) in _PERCENTILES.items():
            measures[name] = func.percentile_cont(fraction).within_group(getattr(Referral, column))
    query = select(*keys, *(m.label(n) for n, m in measures.items())).where(
        _period_filter(Referral.created_at, period), _agency_filter(Referral.created_at, only)
    )
    if with_total:
        query = query.group_by(func.grouping_sets(tuple_(*keys), tuple_()))
    elif keys:
        query = query.group_by(*keys)
    found = {tuple(row[: len(keys)]): dict(row._mapping) for row in session.execute(query)}
    if with_total:
        found[(None,)] = found.pop((None,) * len(keys), {})
    if not _is_postgres(session):
        _nearest_rank_percentiles(session, period, keys, found, by_agency, months, only)
    return found


def _nearest_rank_percentiles(session, period, keys, found, by_agency, months, only) -> None:  # type: ignore[no-untyped-def]
    """Percentiles where there is no ``percentile_cont``: rank within each key, pick the row."""
    for name, (column_name, fraction) in _PERCENTILES.items():
        column = getattr(Referral, column_name)
        partition = _key_columns(Referral.created_at, by_agency, months) or [literal(1)]
        ranked = (
            select(
                *(k.label(f"k{i}") for i, k in enumerate(keys)),
                column.label("value"),
                func.row_number().over(partition_by=partition, order_by=column).label("rank"),
                func.count().over(partition_by=partition).label("n"),
            )
            .where(
                _period_filter(Referral.created_at, period),
                _agency_filter(Referral.created_at, only),
                column.is_not(None),
            )
            .subquery()
        )
        wanted = cast(func.max(1, cast(fraction * ranked.c.n + 0.9999, Integer)), Integer)
        picked = select(
            *(ranked.c[f"k{i}"] for i in range(len(keys))), cast(ranked.c.value, Float)
        ).where(ranked.c.rank == wanted)
        for row in session.execute(picked):
            key = tuple(row[: len(keys)])
            if key in found:
                found[key][name] = row[-1]


def overdue_now(session: Session, now: datetime, by_agency: bool) -> dict[Key, int]:
    """Open referrals past a deadline they have not met, whenever they were received."""
    late = or_(
        and_(_seen().is_(None), Referral.view_due_at < now),
        and_(_acted().is_(None), Referral.act_due_at < now),
        and_(Referral.resolved_at.is_(None), Referral.result_due_at < now),
    )
    keys = [Referral.agreement_id] if by_agency else []
    query = select(*keys, func.count()).where(Referral.state.in_(_OPEN), late)
    rows = session.execute(query.group_by(*keys) if keys else query).all()
    return {tuple(row[: len(keys)]): row[-1] for row in rows}


def violation_counts(
    session: Session,
    period: Period,
    by_agency: bool,
    months: Sequence[Period] | None,
    only: str | None = None,
) -> dict[Key, int]:
    """Violations recorded in the period (issue 5's table), per key."""
    try:
        from hub.db.models_deadlines import Violation
    except ImportError:  # the deadlines room is not installed: no violations to count
        return {}
    table = Violation.__table__
    keys = _key_columns(table.c.recorded_at, by_agency, months)
    query = select(*keys, func.count()).where(
        _period_filter(table.c.recorded_at, period), _agency_filter(table.c.recorded_at, only)
    )
    rows = session.execute(query.group_by(*keys) if keys else query).all()
    return {tuple(row[: len(keys)]): row[-1] for row in rows}


def feedback_figures(
    session: Session,
    period: Period,
    by_agency: bool,
    months: Sequence[Period] | None,
    only: str | None = None,
) -> dict[Key, dict[str, Any]]:
    """Average citizen rating and reopens, from feedback given in the period, per key."""
    try:
        from hub.db.models_deadlines import Feedback
    except ImportError:
        return {}
    table = Feedback.__table__
    keys = _key_columns(table.c.created_at, by_agency, months)
    query = select(
        *keys,
        func.avg(cast(table.c.rating, Float)).label("satisfaction"),
        func.count(table.c.rating).label("ratings"),
        _count(table.c.reopened.is_(True)).label("reopens"),
    ).where(_period_filter(table.c.created_at, period), _agency_filter(table.c.created_at, only))
    rows = session.execute(query.group_by(*keys) if keys else query).all()
    return {tuple(row[: len(keys)]): dict(row._mapping) for row in rows}


def merge(*sources: dict[Key, Any]) -> dict[Key, list[Any]]:
    merged: dict[Key, list[Any]] = defaultdict(lambda: [None] * len(sources))
    for index, source in enumerate(sources):
        for key, value in source.items():
            merged[key][index] = value
    return merged
