"""The ``SELECT``\\ s that fill the roll-up: days from ``referrals``, ``violations`` and
``feedback``, months from days, and so on.

A day is a Tehran day (midnight to midnight, as :meth:`Period.days` cuts it), labelled with its
Jalali date; the label is computed in SQL by comparing a row's date (a referral's ``created_at``,
a violation's ``recorded_at``, a feedback's ``created_at``) with the day boundaries, so it is
exact across Iran's old summer-time changes and the same on every database.
A month's rows are the sums of its days' rows, a quarter's and a year's the sums of its months',
so they always agree (:mod:`hub.supervision.figures.cover` reads a period from them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, true, union_all
from sqlalchemy.sql import Select
from sqlalchemy.sql.elements import ColumnElement

from hub.core.states import Outcome, ReferralState
from hub.db.models import Referral
from hub.db.models_deadlines import Feedback, Violation
from hub.db.models_figures import FigureBucket, FigureDay, FigureDayBucket, FigureMonth
from hub.supervision.figures.histogram import bucket_sql
from hub.supervision.figures.periods import Period

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


def label_of(column: Any, periods: Sequence[Period]) -> ColumnElement[str]:
    """The label of the period of ``periods`` (consecutive, in order) ``column`` falls in, as SQL.

    Only for values within ``periods``: it halves them at each ``CASE``, five comparisons a
    referral for the days of a month (four for the months of a year) instead of fifteen (six).
    """
    if len(periods) == 1:
        return literal(periods[0].label)
    middle = len(periods) // 2
    return case(
        (column < periods[middle].start, label_of(column, periods[:middle])),
        else_=label_of(column, periods[middle:]),
    )


def unmet_deadlines() -> dict[str, ColumnElement[bool]]:
    """Each deadline of a referral *known to be unresolved*, set and not met.

    Not naming ``resolved_at`` (the caller says it is null, once, at the top) lets the partial
    indexes of unresolved referrals answer alone: among them "seen" is viewed or acted.
    """
    return {
        "view": and_(
            Referral.viewed_at.is_(None),
            Referral.acted_at.is_(None),
            Referral.view_due_at.is_not(None),
        ),
        "act": and_(Referral.acted_at.is_(None), Referral.act_due_at.is_not(None)),
        "result": Referral.result_due_at.is_not(None),
    }


def open_deadlines() -> dict[str, ColumnElement[bool]]:
    """Each deadline of a referral not resolved, set and not met (missed once past due)."""
    unresolved = Referral.resolved_at.is_(None)
    return {name: and_(unresolved, unmet) for name, unmet in unmet_deadlines().items()}


def day_of(days: Sequence[Period]) -> ColumnElement[str]:
    """The label of the day of ``days`` (in order) that ``Referral.created_at`` falls on."""
    return label_of(Referral.created_at, days)


Groups = Sequence[tuple[Sequence[str] | None, Sequence[Period]]]
"""Which rows to redo: (agencies, or ``None`` for all; their days, in order), group by group."""


def received_on(groups: Groups) -> ColumnElement[bool]:
    """Where a referral was received on one of the days of its agency's group."""
    return dated_on(Referral.__table__, Referral.created_at, groups)


def dated_on(table: Any, column: Any, groups: Groups) -> ColumnElement[bool]:
    """Where a row of ``table``, dated by ``column``, falls on a day of its agency's group."""
    return or_(*(_dated(table, column, agencies, days) for agencies, days in groups))


def _dated(
    table: Any, column: Any, agencies: Sequence[str] | None, days: Sequence[Period]
) -> ColumnElement[bool]:
    runs: list[list[Any]] = []  # [start, end) of each run of consecutive days
    for day in days:
        if runs and runs[-1][1] == day.start:
            runs[-1][1] = day.end
        else:
            runs.append([day.start, day.end])
    on = or_(*(and_(column >= a, column < b) for a, b in runs))
    return on if agencies is None else and_(table.c.agreement_id.in_(agencies), on)


def stored_on(table: Any, groups: Groups) -> ColumnElement[bool]:
    """Where a row of ``table`` (``figure_days``, ``figure_day_buckets``) is of one group."""
    terms = []
    for agencies, days in groups:
        on = table.day.in_([day.label for day in days])
        terms.append(on if agencies is None else and_(table.agreement_id.in_(agencies), on))
    return or_(*terms)


def _days(groups: Groups) -> list[Period]:
    return sorted({day for _, days in groups for day in days}, key=lambda day: day.start)


def day_counts(groups: Groups) -> Select[*tuple[Any, ...]]:
    """Rows shaped like ``figure_days`` for the days of ``groups``: referrals received on them,
    violations recorded and feedback given on them, each counted by its own query, then summed."""
    days = _days(groups)
    parts = [_referral_counts(groups, days), *_dated_counts(groups, days)]
    every = union_all(*parts).subquery()
    return select(
        every.c.day, every.c.agreement_id, *(func.sum(every.c[n]).label(n) for n in COUNTS)
    ).group_by(every.c.day, every.c.agreement_id)


def _shaped(day: Any, agency: Any, counts: dict[str, Any]) -> list[Any]:
    """``day``, ``agreement_id`` and every one of :data:`COUNTS`: those not in ``counts`` 0."""
    values = (counts.get(name, literal(0)).label(name) for name in COUNTS)
    return [day.label("day"), agency.label("agreement_id"), *values]


def _referral_counts(groups: Groups, days: Sequence[Period]) -> Select[*tuple[Any, ...]]:
    view_met, view_done = _met_and_done(seen(), Referral.view_due_at)
    act_met, act_done = _met_and_done(acted(), Referral.act_due_at)
    result_met, result_done = _met_and_done(Referral.resolved_at, Referral.result_due_at)
    failed = Referral.state == str(ReferralState.DELIVERY_FAILED)
    day = label_of(Referral.created_at, days)
    counts = {
        "received": func.count(),
        "delivered": _count(Referral.delivered_at.is_not(None)),
        "resolved": _count(Referral.resolved_at.is_not(None)),
        "delivery_failures": _count(failed),
        "resolved_unsuccessful": _count(Referral.outcome == str(Outcome.UNSUCCESSFUL)),
        "rejected": _count(Referral.outcome == str(Outcome.REJECTED)),
        "view_met": view_met,
        "view_done": view_done,
        "act_met": act_met,
        "act_done": act_done,
        "result_met": result_met,
        "result_done": result_done,
        **{f"{name}_open": _count(unmet) for name, unmet in open_deadlines().items()},
    }
    return (
        select(*_shaped(day, Referral.agreement_id, counts))
        .where(received_on(groups))
        .group_by(Referral.agreement_id, day)
    )


def _dated_counts(groups: Groups, days: Sequence[Period]) -> list[Select[*tuple[Any, ...]]]:
    """Violations recorded and feedback given on the days of ``groups``, per agency and day."""
    violation, feedback = Violation.__table__, Feedback.__table__
    counts: dict[Any, tuple[Any, dict[str, Any]]] = {
        violation: (violation.c.recorded_at, {"violations": func.count()}),
        feedback: (
            feedback.c.created_at,
            {
                "feedback": func.count(),
                "ratings": func.count(feedback.c.rating),
                "rating_sum": func.coalesce(func.sum(feedback.c.rating), 0),
                "reopens": _count(feedback.c.reopened.is_(True)),
            },
        ),
    }
    selects = []
    for table, (column, values) in counts.items():
        day = label_of(column, days)
        selects.append(
            select(*_shaped(day, table.c.agreement_id, values))
            .where(dated_on(table, column, groups))
            .group_by(table.c.agreement_id, day)
        )
    return selects


def changed_since(
    start: datetime, end: datetime, since: datetime
) -> list[Select[*tuple[Any, ...]]]:
    """(agency, date) of rows dated in ``[start, end)`` that may have changed at or after ``since``.

    A referral changed moves its ``updated_at``; the hub stamps a violation's ``recorded_at`` and
    a feedback's ``created_at`` with the moment it writes them, and a violation or feedback
    written with its referral (a reopen, or rows inserted together) shows through the referral.
    Few rows: the caller labels their days (a ``CASE`` of a year of days costs more to send).
    """
    changed = Referral.updated_at >= since
    referral, violation, feedback = Referral.__table__, Violation.__table__, Feedback.__table__
    selects = [_dated_between(referral, referral.c.created_at, start, end, changed)]
    for table, column in ((violation, violation.c.recorded_at), (feedback, feedback.c.created_at)):
        selects.append(_dated_between(table, column, max(start, since), end, true()))
        of_changed = table.c.referral_id.in_(select(Referral.id).where(changed))
        selects.append(_dated_between(table, column, start, end, of_changed))
    return selects


def _dated_between(
    table: Any, column: Any, start: datetime, end: datetime, where: ColumnElement[bool]
) -> Select[*tuple[Any, ...]]:
    return select(table.c.agreement_id, column).where(column >= start, column < end, where)


def day_buckets(groups: Groups) -> list[Select[*tuple[Any, ...]]]:
    """Rows shaped like ``figure_day_buckets`` for the same referrals, one query per measure."""
    selects = []
    day = day_of(_days(groups))
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
            .where(received_on(groups), column.is_not(None))
            .group_by(Referral.agreement_id, day, bucket)
        )
    return selects


def _changed_counts(groups: Groups) -> Any:
    """Per day and agency of ``groups``: its counts computed afresh less those stored, where
    they differ (a day or an agency new to the roll-up has nothing stored)."""
    stored = [FigureDay.__table__.c[name] for name in COUNTS]
    before = select(
        FigureDay.day, FigureDay.agreement_id, *((-c).label(c.name) for c in stored)
    ).where(stored_on(FigureDay, groups))
    both = union_all(day_counts(groups), before).subquery()
    sums = [func.sum(both.c[name]) for name in COUNTS]
    keys = [both.c.day, both.c.agreement_id]
    return (
        select(*keys, *(s.label(n) for s, n in zip(sums, COUNTS, strict=True)))
        .group_by(*keys)
        .having(or_(*(s != 0 for s in sums)))
        .subquery()
    )


def _changed_buckets(groups: Groups) -> Any:
    """Per day, measure, agency and bucket of ``groups``: how many referrals more (or fewer) are
    in it computed afresh than stored, where that is not 0 — a few per referral changed."""
    table = FigureDayBucket
    before = select(
        table.day,
        table.measure,
        table.agreement_id,
        table.bucket,
        (-table.referrals).label("referrals"),
    ).where(stored_on(table, groups))
    both = union_all(*day_buckets(groups), before).subquery()
    keys = [both.c.day, both.c.measure, both.c.agreement_id, both.c.bucket]
    change = func.sum(both.c.referrals)
    return select(*keys, change.label("referrals")).group_by(*keys).having(change != 0).subquery()


def changes_of_days(groups: Groups) -> list[Select[*tuple[Any, ...]]]:
    """Rows shaped like ``figure_days`` and ``figure_day_buckets``: what redoing ``groups``
    changes in them, to add to the stored rows (only rows that change)."""
    counts, buckets = _changed_counts(groups), _changed_buckets(groups)
    return [
        select(*counts.c).where(counts.c.agreement_id.is_not(None)),
        select(*buckets.c).where(buckets.c.agreement_id.is_not(None)),
    ]


def changes_of_months(groups: Groups, labels: Sequence[str]) -> list[Select[*tuple[Any, ...]]]:
    """Rows shaped like ``figure_months`` and ``figure_buckets`` for each of ``labels`` (a month,
    its quarter, its year): what redoing ``groups``, days of that month, changes in them.

    Added to those rows before the days are redone, so they stay the sums of their days without
    being summed again.
    """
    counts, buckets = _changed_counts(groups), _changed_buckets(groups)
    count_sums = [func.sum(counts.c[name]).label(name) for name in COUNTS]
    by_agency = select(counts.c.agreement_id, *count_sums).group_by(counts.c.agreement_id)
    keys = [buckets.c.measure, buckets.c.agreement_id, buckets.c.bucket]
    change = func.sum(buckets.c.referrals)
    by_bucket = select(*keys, change.label("referrals")).group_by(*keys).having(change != 0)
    return [
        _for_each(labels, by_agency.subquery(), ["agreement_id", *COUNTS]),
        _for_each(labels, by_bucket.subquery(), ["measure", "agreement_id", "bucket", "referrals"]),
    ]


def _for_each(labels: Sequence[str], rows_: Any, names: list[str]) -> Select[*tuple[Any, ...]]:
    """``rows_`` once for each of ``labels``, labelled in a first column ``month``."""
    each = [select(literal(label).label("month")) for label in labels]
    months = (union_all(*each) if len(each) > 1 else each[0]).subquery()
    return (
        select(months.c.month, *(rows_.c[name] for name in names))
        .select_from(rows_.join(months, true()))
        # SQLite reads "INSERT … SELECT … ON CONFLICT" without doubt only after a WHERE.
        .where(rows_.c.agreement_id.is_not(None))
    )


def labelled(table: Any, labels: Sequence[str], agencies: Sequence[str] | None) -> list[Any]:
    """Where ``table``'s rows are of ``labels`` (months, quarters, years) and ``agencies``."""
    where = [table.month.in_(labels)]
    return where + ([table.agreement_id.in_(agencies)] if agencies is not None else [])


def on_days(table: Any, period: Period, agencies: Sequence[str] | None) -> list[Any]:
    """Where ``table``'s rows are of the days of ``period`` and of ``agencies``."""
    first, last = day_span(period)
    where = [table.day.between(first, last)]
    return where + ([table.agreement_id.in_(agencies)] if agencies is not None else [])


def summed_counts(label: str, table: Any, where: list[Any]) -> Select[*tuple[Any, ...]]:
    """``figure_months``-shaped rows labelled ``label``: ``table``'s rows matching, summed."""
    return (
        select(
            literal(label).label("month"),
            table.agreement_id,
            *(func.sum(table.__table__.c[name]).label(name) for name in COUNTS),
        )
        .where(*where)
        .group_by(table.agreement_id)
    )


def summed_buckets(label: str, table: Any, where: list[Any]) -> Select[*tuple[Any, ...]]:
    """``figure_buckets``-shaped rows labelled ``label``: ``table``'s rows matching, summed."""
    return (
        select(
            literal(label).label("month"),
            table.measure,
            table.agreement_id,
            table.bucket,
            func.sum(table.referrals).label("referrals"),
        )
        .where(*where)
        .group_by(table.measure, table.agreement_id, table.bucket)
    )


def month_of_days(month: Period, agencies: Sequence[str] | None) -> list[Select[*tuple[Any, ...]]]:
    """A month's rows (counts, buckets): the sums of its days."""
    return [
        summed_counts(month.label, FigureDay, on_days(FigureDay, month, agencies)),
        summed_buckets(month.label, FigureDayBucket, on_days(FigureDayBucket, month, agencies)),
    ]


def span_of_parts(
    label: str, parts: Sequence[str], agencies: Sequence[str] | None
) -> list[Select[*tuple[Any, ...]]]:
    """A quarter's or year's rows (counts, buckets): the sums of its parts' rows."""
    return [
        summed_counts(label, FigureMonth, labelled(FigureMonth, parts, agencies)),
        summed_buckets(label, FigureBucket, labelled(FigureBucket, parts, agencies)),
    ]
