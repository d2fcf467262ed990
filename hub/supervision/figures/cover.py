"""Which stored roll-up rows make up a period, fewest first.

::

    counts, buckets = of_period(parse_period("1404-01-05..1404-12-20"))

A year, quarter or month the period covers whole is read from its own rows (``figure_months``,
``figure_buckets``: a year or a quarter is one row per agency, not twelve or three). Where a
range of days cuts a month, the days it covers are read from ``figure_days`` and
``figure_day_buckets`` — or, when it covers more than half the month, the month's rows less the
days it leaves out, so at most half a month of day rows is read at each end of a range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.sql import Select, Subquery

from hub.db.models_figures import FigureBucket, FigureDay, FigureDayBucket, FigureMonth
from hub.supervision.figures.periods import Period, months_of, parse_period, quarters_of
from hub.supervision.figures.rows import COUNTS, labelled, on_days


def of_period(
    period: Period, only: str | None = None, by_month: bool = False
) -> tuple[Subquery, Subquery]:
    """``figure_months``- and ``figure_buckets``-shaped rows that sum to ``period``'s.

    Only agency ``only``'s, when given. Whole months are read from their month rows — or, unless
    the rows are wanted ``by_month``, from the rows of the whole quarters and years they make up.
    A month read as "less the days left out" has rows of negative counts, so a key may sum to
    zero where the period has none: callers drop those.
    """
    agencies = [only] if only else None
    months: list[str] = []
    counts: list[Select[*tuple[Any, ...]]] = []
    buckets: list[Select[*tuple[Any, ...]]] = []

    def days(label: str, part: Period, sign: int) -> None:
        counts.append(_day_rows(label, FigureDay, part, sign, agencies, COUNTS))
        buckets.append(_day_rows(label, FigureDayBucket, part, sign, agencies, ["referrals"]))

    for cut in period.months():
        month = parse_period(cut.label)
        if _whole(cut):
            months.append(month.label)
        elif 2 * len(cut.days()) <= len(month.days()):
            days(cut.label, cut, 1)
        else:
            months.append(month.label)
            for left_out in (
                Period(month.label, month.start, cut.start),
                Period(month.label, cut.end, month.end),
            ):
                if left_out.start < left_out.end:
                    days(month.label, left_out, -1)
    labels = months if by_month else _coarsest(months)
    counts.insert(0, _stored(FigureMonth, labels, agencies, ["month", "agreement_id", *COUNTS]))
    buckets.insert(
        0, _stored(FigureBucket, labels, agencies, [c.name for c in FigureBucket.__table__.columns])
    )
    return union_all(*counts).subquery(), union_all(*buckets).subquery()


def spans_of(period: Period) -> list[str]:
    """The quarters and years :func:`of_period` reads ``period`` from (not ``by_month``)."""
    whole = [cut.label for cut in period.months() if _whole(cut)]
    return [label for label in _coarsest(whole) if "-Q" in label or "-" not in label]


def _whole(cut: Period) -> bool:
    month = parse_period(cut.label)
    return (cut.start, cut.end) == (month.start, month.end)


def _coarsest(months: list[str]) -> list[str]:
    """The labels of the years and quarters ``months`` make up whole, and the months left."""
    labels: list[str] = []
    for year in sorted({m[:4] for m in months}):
        quarters = [q for q in quarters_of(year) if set(months_of(q)) <= set(months)]
        if len(quarters) == 4:
            labels.append(year)
            continue
        labels.extend(quarters)
        whole = {m for q in quarters for m in months_of(q)}
        labels.extend(m for m in months if m[:4] == year and m not in whole)
    return labels


def _stored(
    table: Any, labels: list[str], agencies: Sequence[str] | None, names: list[str]
) -> Select[*tuple[Any, ...]]:
    columns = (table.__table__.c[name] for name in names)
    return select(*columns).where(*labelled(table, labels, agencies))


def _day_rows(
    label: str,
    table: Any,
    days: Period,
    sign: int,
    agencies: Sequence[str] | None,
    signed: list[str],
) -> Select[*tuple[Any, ...]]:
    """The stored rows of ``days`` as rows of month ``label``; ``signed`` columns times ``sign``."""
    columns = []
    for column in table.__table__.columns:
        if column.name == "day":
            columns.append(literal(label).label("month"))
        elif column.name in signed and sign < 0:
            columns.append((-column).label(column.name))
        else:
            columns.append(column)
    return select(*columns).where(*on_days(table, days, agencies))
