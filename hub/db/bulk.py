"""Many rows into one table in one statement: one array per column on PostgreSQL.

SQLAlchemy's batched ``INSERT … VALUES (…), (…) RETURNING`` names every value as a parameter of
its own. For a thousand rows of a dozen columns that is a statement of 12 000 placeholders, which
psycopg rewrites in Python on every call (too long for its cache) — most of what the deadline
sweep cost. On PostgreSQL :func:`insert_rows` sends one array per column instead,
``INSERT … SELECT unnest(CAST(:a AS t[])), unnest(…) …``: a dozen parameters whatever the number
of rows. On SQLite, and for a handful of rows on PostgreSQL (a citizen's one or two messages,
where building the arrays costs more than it saves), it is the dialect's own batched insert.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, bindparam, cast, func, inspect, null, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, make_transient_to_detached


def dialect_insert(session: Session, model: Any) -> Any:
    """The database's own INSERT into ``model``'s table (with ``on_conflict_do_…``).

    On the Core table, not the ORM class: executed with a list of rows it becomes one batched
    ``INSERT … VALUES (…), (…) … RETURNING`` per thousand rows, compiled once.
    """
    return _dialect_insert(session.get_bind().dialect.name, model.__table__)


def _dialect_insert(dialect: str, table: Any) -> Any:
    return (pg_insert if dialect == "postgresql" else sqlite_insert)(table)


def insert_rows(
    session: Session,
    model: Any,
    rows: Sequence[dict[str, Any]],
    *,
    ignore_duplicates: bool = False,
    returning: Sequence[str] = (),
) -> list[Row[*tuple[Any, ...]]]:
    """Insert ``rows`` (dicts with the same keys, or ``ValueError``) into ``model``'s table.

    ``ignore_duplicates``: a row that breaks a unique constraint is skipped (``ON CONFLICT DO
    NOTHING``). Returns the ``returning`` columns of the rows actually inserted (none asked: []).
    """
    if not rows:
        return []
    table = model.__table__
    names = list(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} must all name the same columns")
    dialect = session.get_bind().dialect.name
    if dialect != "postgresql" or len(rows) <= FEW_ROWS:
        statement: Any = _batched_insert(dialect, table, ignore_duplicates, tuple(returning))
        result = session.execute(statement, list(rows))
        return list(result.all()) if returning else []
    arrays = [func.unnest(_column_array(table, name, rows)) for name in names]
    statement = pg_insert(table).from_select(names, select(*arrays), include_defaults=False)
    if ignore_duplicates:
        statement = statement.on_conflict_do_nothing()
    if not returning:
        session.execute(statement)
        return []
    statement = statement.returning(*(table.c[name] for name in returning))
    return list(session.execute(statement).all())


FEW_ROWS = 16  # up to this many rows on PostgreSQL: one plain multi-row insert


@functools.cache
def _batched_insert(
    dialect: str, table: Any, ignore_duplicates: bool, returning: tuple[str, ...]
) -> Any:
    """The dialect's ``INSERT`` for a list of parameter dicts; built once per shape."""
    statement = _dialect_insert(dialect, table)
    if ignore_duplicates:
        statement = statement.on_conflict_do_nothing()
    if returning:
        statement = statement.returning(*(table.c[name] for name in returning))
    return statement


def _column_array(table: Any, name: str, rows: Sequence[dict[str, Any]]) -> Any:
    """``CAST(:all_<name> AS <type>[])``, bound to that column's values in every row."""
    array_type = ARRAY(table.c[name].type)
    values = [row[name] for row in rows]
    return cast(bindparam(f"all_{name}", values, type_=array_type), array_type)


def insert_objects(session: Session, objects: Sequence[Any]) -> None:
    """Write new ORM objects of one class with one Core ``INSERT … RETURNING id``, no flush.

    Every column but the primary key must be set on each object (no default is applied here: a
    missing one is a ``KeyError``), so nothing is left to load later. The objects come back with
    their ids, persistent in ``session`` as if flushed — its next flush writes only what changes
    on them afterwards — for a fraction of the unit of work's cost. (A rollback expires them, as
    it does objects loaded in the transaction; it does not make them transient again.)
    """
    if not objects:
        return
    if session.new:
        session.flush()  # rows these may refer to are written first
    mapper = inspect(objects[0]).mapper
    statement, names, key = _object_insert(session.get_bind().dialect.name, mapper)
    rows = [_row(obj.__dict__, names) for obj in objects]
    result = session.connection().execute(statement, rows if len(rows) > 1 else rows[0])
    for obj, new_id in zip(objects, result.scalars(), strict=True):
        setattr(obj, key, new_id)
        make_transient_to_detached(obj)
        session.add(obj)


def _row(values: dict[str, Any], names: tuple[tuple[str, str, bool], ...]) -> dict[str, Any]:
    return {
        column: null() if json and values[name] is None else values[name]
        for name, column, json in names
    }


@functools.cache
def _object_insert(dialect: str, mapper: Any) -> tuple[Any, tuple[tuple[str, str, bool], ...], str]:
    """(``INSERT … RETURNING`` the key in the order of the rows; (attribute, column, is JSON) of
    every other column; the key's attribute).

    A JSON column would store Python ``None`` as JSON ``null``: it is sent as SQL NULL instead,
    as the unit of work leaves a column it has no value for.
    """
    (key_column,) = mapper.primary_key
    key = mapper.get_property_by_column(key_column).key
    names = tuple(
        (prop.key, prop.columns[0].key, bool(prop.columns[0].type.should_evaluate_none))
        for prop in mapper.column_attrs
        if prop.columns[0] is not key_column and prop.columns[0].table is mapper.local_table
    )
    statement = _dialect_insert(dialect, mapper.local_table).returning(
        key_column, sort_by_parameter_order=True
    )
    return statement, names, key


def update_rows(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], *, where: Sequence[str]
) -> int:
    """Update many rows of ``model``'s table, each its own way; the number of rows changed.

    Each row names the same keys: ``where_<column>`` for each column in ``where`` (the row to
    change is the one with those values — a compare-and-set when they include a state and a
    version) and the new value of every other column it names. One executemany: psycopg sends
    it as a pipeline, one round trip. (One ``UPDATE … FROM unnest(…)`` of arrays was measured
    slower for a delivery batch's 5–20 rows: building the arrays costs more than it saves.)
    """
    if not rows:
        return 0
    table = model.__table__
    keys = tuple(rows[0])
    if any(row.keys() != rows[0].keys() for row in rows):
        raise ValueError(f"rows for {table.name} must all name the same columns")
    statement = _row_update(table, keys, tuple(where))
    result = session.execute(statement, list(rows))
    return int(result.rowcount)  # type: ignore[attr-defined]  # a CursorResult, typed as Result


@functools.cache
def _row_update(table: Any, keys: tuple[str, ...], where: tuple[str, ...]) -> Any:
    """``UPDATE … WHERE name = :where_name …`` for executemany: SQLAlchemy sets the columns the
    rows name (``keys`` is part of the cache key only)."""
    return table.update().where(*(table.c[name] == bindparam(f"where_{name}") for name in where))


def lease_due(
    session: Session, model: Any, *conditions: Any, now: datetime, lease: timedelta, limit: int
) -> list[int]:
    """Ids of ``model`` rows meeting ``conditions`` whose ``next_attempt_at`` is due, the oldest
    due first, each leased to the caller (``next_attempt_at`` moved to ``now + lease``) in its
    transaction; rows another sweep holds are skipped (``SKIP LOCKED``)."""
    ids = list(
        session.scalars(
            select(model.id)
            .where(*conditions, model.next_attempt_at <= now)
            .order_by(model.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            update(model)
            .where(model.id.in_(ids))
            .values(next_attempt_at=now + lease)
            .execution_options(synchronize_session=False)
        )
    return ids
