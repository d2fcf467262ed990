"""The roll-up by day and by month: filled by SQL, kept current before each read.

Each (agency, Tehran day) has one ``figure_days`` row — referrals received that day, violations
recorded and citizen feedback given that day — and ``figure_day_buckets`` rows (working time to
view and to resolve of the day's referrals, see :mod:`hub.supervision.figures.histogram`), computed
by
``INSERT … SELECT`` over those tables, never row by row in Python
(:mod:`hub.supervision.figures.rows`). Each
(agency, Jalali month) has the sums of its days in ``figure_months`` and ``figure_buckets``, and
each quarter and year the sums of its months there too. A period is read from the fewest of these
rows (:mod:`hub.supervision.figures.cover`); all are exact and always agree.

Keeping them current: every change to a referral moves its ``updated_at`` (indexed); the hub
stamps a violation's ``recorded_at`` and a feedback's ``created_at`` with the moment it writes
them (both indexed), and a violation or feedback written along with its referral shows through
the referral's ``updated_at``. Before the figures of a period are read, :func:`refresh` looks for
rows of the period's months changed since each month was last refreshed — less
:attr:`Settings.figures_refresh_lag_seconds`, so a transaction that stamped a row before the last
refresh but committed after it is still seen — and recomputes only the days they fall on, for
their agencies. What that changes (the counts of those agencies, the few histogram buckets that
move) is first added to the month's rows, and to its quarter's and year's, so they stay the sums
of their days without being summed again. A month never computed is computed whole; its quarter
and year go stale (their ``figure_refreshes`` mark is dropped) and are summed again from their
months by the first read that needs them. The beat sweep ``hub.refresh_figures`` does the same
for this month and the last, so a read usually finds little to do. On PostgreSQL refreshes take
turns under an advisory lock and commit on their own connection; changes made behind the hub's
back (SQL by hand) need ``refresh(..., rebuild=True)``.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from hub.core.settings import get_settings
from hub.db.bulk import dialect_insert
from hub.db.models_figures import (
    FigureBucket,
    FigureDay,
    FigureDayBucket,
    FigureMonth,
    FigureRefresh,
)
from hub.db.types import utcnow
from hub.supervision.figures import cover, rows
from hub.supervision.figures.periods import Period, months_of, parse_period, quarter_of, quarters_of

_LOCK = 7_301_405  # pg_advisory_xact_lock key of figure refreshes


def _redo_days(session: Session, groups: rows.Groups) -> None:
    """Redo the day rows of ``groups`` (agencies, or all; their days) from referrals."""
    for table in (FigureDay, FigureDayBucket):
        session.execute(delete(table).where(rows.stored_on(table, groups)))
    _insert(session, FigureDay, rows.day_counts(groups))
    for buckets in rows.day_buckets(groups):
        _insert(session, FigureDayBucket, buckets)


def _replace(
    session: Session,
    label: str,
    sums: list[Select[*tuple[Any, ...]]],
    agencies: Sequence[str] | None,
) -> None:
    """Replace the ``figure_months`` and ``figure_buckets`` rows of ``label`` by ``sums``."""
    tables: tuple[type[FigureMonth] | type[FigureBucket], ...] = (FigureMonth, FigureBucket)
    for table, query in zip(tables, sums, strict=True):
        session.execute(_of(delete(table).where(table.month == label), table, agencies))
        _insert(session, table, query)


def _fresh_spans(session: Session, labels: Sequence[str], at: datetime) -> None:
    """Rebuild whichever of the quarters and years ``labels`` are stale (no refresh mark).

    A year is the sum of its quarters, so its stale quarters are rebuilt first.
    """
    wanted = {q for label in labels if "-" not in label for q in quarters_of(label)}
    wanted |= set(labels)
    marked = set(
        session.scalars(select(FigureRefresh.month).where(FigureRefresh.month.in_(wanted)))
    )
    stale = sorted(wanted - marked, key=lambda label: (label[:4], "-" not in label))
    for label in stale:  # a year's quarters before the year
        parts = months_of(label) if "-Q" in label else quarters_of(label)
        _replace(session, label, rows.span_of_parts(label, parts, None), None)
    _mark(session, stale, at)


def _current_spans(session: Session, months: Sequence[Period]) -> set[str]:
    """The quarters and years of ``months`` that are current (marked): changes are added to them."""
    spans = {span for m in months for span in (quarter_of(m.label), m.label[:4])}
    return set(session.scalars(select(FigureRefresh.month).where(FigureRefresh.month.in_(spans))))


def _unmark_spans(session: Session, months: Iterable[str]) -> None:
    """The quarters and years of ``months`` are stale: their months have changed."""
    spans = {span for month in months for span in (quarter_of(month), month[:4])}
    session.execute(delete(FigureRefresh).where(FigureRefresh.month.in_(spans)))


def _of(statement: Any, table: Any, agencies: Sequence[str] | None) -> Any:
    return statement if agencies is None else statement.where(table.agreement_id.in_(agencies))


def _insert(session: Session, table: Any, query: Select[*tuple[Any, ...]]) -> None:
    names = [column.name for column in query.selected_columns]
    session.execute(table.__table__.insert().from_select(names, query))


def _changed(
    session: Session, months: Sequence[Period], since: datetime
) -> dict[str, dict[str, set[str]]]:
    """Per month of ``months`` and agency, the days with a row changed at or after ``since``."""
    days = [day for month in months for day in month.days()]
    starts = [day.start for day in days]
    found: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for query in rows.changed_since(days[0].start, days[-1].end, since):
        for agreement_id, at in session.execute(query):
            day = days[bisect_right(starts, at) - 1].label
            found[day[:7]][agreement_id].add(day)  # 1405-08-15 is of month 1405-08
    return found


def _redo_changed(
    session: Session, month: Period, changed: dict[str, set[str]], labels: Sequence[str]
) -> list[str]:
    """Redo each agency's ``changed`` days of ``month`` (agencies with the same days grouped).

    Only what changes is written: added to the rows of ``labels`` (the month, and its quarter and
    year where they are current), then to the days' own rows — the agencies' counts that move and
    the few histogram buckets a changed referral leaves or enters, not every bucket of the day.
    A bucket left empty stays as a row of 0, as a count of 0 does: sums ignore both.
    """
    grouped: dict[tuple[Period, ...], list[str]] = defaultdict(list)
    for agreement_id, labels_ in sorted(changed.items()):
        grouped[tuple(d for d in month.days() if d.label in labels_)].append(agreement_id)
    groups = [(same, days) for days, same in grouped.items()]
    # The months' first: both read the days as stored.
    counts, buckets = rows.changes_of_months(groups, labels)
    _add(session, FigureMonth, counts, ["month", "agreement_id"])
    _add(session, FigureBucket, buckets, ["month", "measure", "agreement_id", "bucket"])
    counts, buckets = rows.changes_of_days(groups)
    _add(session, FigureDay, counts, ["day", "agreement_id"])
    _add(session, FigureDayBucket, buckets, ["day", "measure", "agreement_id", "bucket"])
    return sorted(changed)


def _add(session: Session, table: Any, query: Select[*tuple[Any, ...]], keys: list[str]) -> None:
    """Add ``query``'s rows to ``table``'s rows of the same ``keys`` (insert those not there)."""
    insert = dialect_insert(session, table)
    names = [column.name for column in query.selected_columns]
    statement = insert.from_select(names, query)
    current = table.__table__.c
    session.execute(
        statement.on_conflict_do_update(
            index_elements=keys,
            set_={n: current[n] + statement.excluded[n] for n in names if n not in keys},
        )
    )


def touched_months(period: Period) -> list[Period]:
    """Every Jalali month ``period`` touches, whole (a range of days may cut the first and last)."""
    return [parse_period(cut.label) for cut in period.months()]


def refresh(session: Session, period: Period, *, rebuild: bool = False, spans: bool = True) -> int:
    """Bring the roll-up of every month ``period`` touches up to date; the (agency, month) redone.

    A month never computed is computed whole, even when ``period`` only cuts it, and its quarter
    and year go stale. In a month computed before, only the days with a changed row are redone,
    for the agencies changed; what that changes is added to the month's rows and to its quarter's
    and year's where current. Stale quarters and years ``period`` is read from (unless not
    ``spans``) are summed again from their months.
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
        known = [m for m in months if m.label in marks and not rebuild]
        redo: dict[str, list[str] | None] = {}
        for month in months:
            if month not in known:
                _redo_days(writer, [(None, month.days())])
                _replace(writer, month.label, rows.month_of_days(month, None), None)
                redo[month.label] = None
        _unmark_spans(writer, redo)
        if known:
            lag = timedelta(seconds=get_settings().figures_refresh_lag_seconds)
            since = min(marks[m.label] for m in known) - lag
            by_label = {m.label: m for m in known}
            current = _current_spans(writer, known)
            for label, changed in _changed(writer, known, since).items():
                labels = [label, *(s for s in (quarter_of(label), label[:4]) if s in current)]
                redo[label] = _redo_changed(writer, by_label[label], changed, labels)
        if spans:
            _fresh_spans(writer, cover.spans_of(period), started)
        _mark(writer, [m.label for m in months], started)
        return sum(1 if agencies is None else len(agencies) for agencies in redo.values())


def _mark(session: Session, labels: Sequence[str], at: datetime) -> None:
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
