"""The figures, computed by the database: sums over the roll-up, plus what ages with now.

Referrals received in the period, violations recorded and feedback given in it are counted from
:mod:`hub.supervision.figures.rollup` — the stored rows of the period's whole months (or quarters,
years),
and where a range of days cuts a month, the stored rows of the days it covers in that month — and
grouped by a key: the agency, the Jalali month, both, or nothing for the province. Medians and
90th percentiles come from the working-time histograms (:mod:`hub.supervision.figures.histogram`:
nearest
rank, within 1 %), by window sums in SQL.

On-time rates count a deadline once it is decided: met or missed — still unmet past its time.
The roll-up keeps each day's deadlines unmet of referrals not resolved; which of them are past
due depends on the moment of asking, so the few not due yet are counted live and taken away
(partial indexes of unresolved referrals by each due time find them). ``overdue now`` is counted
live over unresolved referrals (a partial index keeps that an index-only scan).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, and_, case, cast, func, null, or_, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import CompoundSelect, Select
from sqlalchemy.sql.elements import ColumnElement

from hub.core.states import POLLED, ReferralState
from hub.db.models import Referral
from hub.supervision.figures import cover, rollup, rows
from hub.supervision.figures.histogram import bucket_value
from hub.supervision.figures.periods import Period

S = ReferralState
Key = tuple[Any, ...]

# Open: the agency still owes an answer. Overdue: open and past a deadline it has not met.
_OPEN = [str(s) for s in (*POLLED, S.PENDING, S.DELIVERING)]
_COUNTS = rows.COUNTS
_PERCENTILES = {"median": 0.5, "p90": 0.9}
_DEADLINES = ("view", "act", "result")
_DUE = {"view": Referral.view_due_at, "act": Referral.act_due_at, "result": Referral.result_due_at}


def _sum(column: Any) -> ColumnElement[int]:
    return cast(func.coalesce(func.sum(column), 0), BigInteger)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return _sum(case((condition, 1), else_=0))


def _keys(source: Any, by_agency: bool, by_month: bool) -> list[Any]:
    return ([source.c.agreement_id] if by_agency else []) + ([source.c.month] if by_month else [])


def _grouped(query: Select[*tuple[Any, ...]], keys: list[Any]) -> Select[*tuple[Any, ...]]:
    return query.group_by(*keys) if keys else query


def period_counts(
    session: Session,
    period: Period,
    now: datetime,
    by_agency: bool,
    by_month: bool,
    with_total: bool = False,
    only: str | None = None,
) -> dict[Key, dict[str, Any]]:
    """Every stored count (:data:`rows.COUNTS`), deadlines decided and percentiles per key.

    ``with_total`` adds the row of all keys together under the key ``(None,)``: its counts are
    the sums of the keys' rows, its percentiles those of the pooled histograms.
    """
    rollup.refresh(session, period, spans=not by_month)
    counts, buckets = cover.of_period(period, only, by_month)
    keys = _keys(counts, by_agency, by_month)
    query = select(*keys, *(_sum(counts.c[n]).label(n) for n in _COUNTS))
    # A key with nothing in the period: a month less the days left out can sum to zeros.
    anything = (_sum(counts.c[n]) > 0 for n in ("received", "violations", "feedback"))
    query = _grouped(query, keys).having(or_(*anything))
    found = {tuple(r[: len(keys)]): dict(r._mapping) for r in session.execute(query)}
    waiting = _not_due_yet(session, period, now, by_agency, by_month, only)
    for key, values in found.items():
        for deadline in _DEADLINES:
            # Decided: met or missed; missed: unmet and past due, so open less not due yet.
            missed = values[f"{deadline}_open"] - waiting.get(key, {}).get(deadline, 0)
            values[f"{deadline}_decided"] = values[f"{deadline}_done"] + missed
    if with_total:
        found[(None,)] = {
            name: sum(values[name] for values in found.values())
            for name in (*_COUNTS, *(f"{d}_decided" for d in _DEADLINES))
        }
    for key, seconds in _percentiles(session, buckets, by_agency, by_month, with_total).items():
        if key in found:
            found[key].update(seconds)
    return found


def _late(now: datetime) -> dict[str, ColumnElement[bool]]:
    """Each deadline of an unresolved referral, unmet past its time."""
    return {name: and_(unmet, _DUE[name] < now) for name, unmet in rows.unmet_deadlines().items()}


def _not_due_yet(
    session: Session,
    period: Period,
    now: datetime,
    by_agency: bool,
    by_month: bool,
    only: str | None,
) -> dict[Key, dict[str, int]]:
    """Deadlines of the period's unresolved referrals unmet and not due yet, counted live.

    Few: only referrals with a deadline after ``now``, found by a partial index per deadline.
    """
    keys: list[Any] = [Referral.agreement_id] if by_agency else []
    if by_month:
        keys.append(rows.label_of(Referral.created_at, period.months()))
    waiting = {
        name: and_(unmet, _DUE[name] >= now) for name, unmet in rows.unmet_deadlines().items()
    }
    query = select(*keys, *(_count(c).label(n) for n, c in waiting.items())).where(
        Referral.resolved_at.is_(None),
        or_(*(due >= now for due in _DUE.values())),
        Referral.created_at >= period.start,
        Referral.created_at < period.end,
        *([Referral.agreement_id == only] if only else []),
    )
    found = session.execute(_grouped(query, keys))
    return {tuple(r[: len(keys)]): dict(r._mapping) for r in found}


def _percentiles(
    session: Session, buckets: Any, by_agency: bool, by_month: bool, with_total: bool
) -> dict[Key, dict[str, float | None]]:
    """Nearest-rank median and p90 of each measure, from the summed histograms.

    ``with_total`` adds those of all keys' histograms pooled, under the key ``(None,)``.
    """
    keys = _keys(buckets, by_agency, by_month)
    summed = _grouped(
        select(*keys, buckets.c.measure, buckets.c.bucket, _sum(buckets.c.referrals).label("n")),
        [*keys, buckets.c.measure, buckets.c.bucket],
    ).cte("summed")
    skeys = _keys(summed, by_agency, by_month)
    histograms: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]
    histograms = select(*skeys, summed.c.measure, summed.c.bucket, summed.c.n)
    if with_total:
        pooled = select(
            *(null().label(k.name) for k in skeys),
            summed.c.measure,
            summed.c.bucket,
            _sum(summed.c.n),
        ).group_by(summed.c.measure, summed.c.bucket)
        histograms = union_all(histograms, pooled)
    both = histograms.subquery()
    bkeys = _keys(both, by_agency, by_month)
    partition = [*bkeys, both.c.measure]
    running = (
        select(
            *bkeys,
            both.c.measure,
            both.c.bucket,
            func.sum(both.c.n).over(partition_by=partition, order_by=both.c.bucket).label("cum"),
            func.sum(both.c.n).over(partition_by=partition).label("total"),
        )
        .where(both.c.n > 0)  # a bucket emptied by days left out of a month
        .subquery()
    )
    rkeys = _keys(running, by_agency, by_month)
    picks = [
        func.min(running.c.bucket).filter(running.c.cum >= fraction * running.c.total).label(name)
        for name, fraction in _PERCENTILES.items()
    ]
    query = select(*rkeys, running.c.measure, *picks).group_by(*rkeys, running.c.measure)
    found: dict[Key, dict[str, float | None]] = defaultdict(dict)
    for row in session.execute(query):
        key, measure = tuple(row[: len(rkeys)]), row.measure
        for name in _PERCENTILES:
            found[key][f"{measure}_{name}_seconds"] = bucket_value(getattr(row, name))
    return found


def overdue_now(session: Session, now: datetime, by_agency: bool) -> dict[Key, int]:
    """Open referrals past a deadline they have not met, whenever they were received."""
    keys = [Referral.agreement_id] if by_agency else []
    # An overdue referral is unresolved: saying so lets the partial index answer.
    query = select(*keys, func.count()).where(
        Referral.resolved_at.is_(None), Referral.state.in_(_OPEN), or_(*_late(now).values())
    )
    found = session.execute(_grouped(query, keys)).all()
    return {tuple(row[: len(keys)]): row[-1] for row in found}


def merge(*sources: dict[Key, Any]) -> dict[Key, list[Any]]:
    merged: dict[Key, list[Any]] = defaultdict(lambda: [None] * len(sources))
    for index, source in enumerate(sources):
        for key, value in source.items():
            merged[key][index] = value
    return merged
