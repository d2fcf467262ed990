"""The MAC every event carries from its insert, and the insert that writes it with the row.

The audit chain (:mod:`hub.supervision.audit`) is made by a sweep a few seconds after the
events are written, so that intake never waits on it. Sealing must therefore know that the row
it is about to chain is the one the hub wrote — not one inserted straight into the table, nor a
genuine one edited before it was sealed, nor a sealed one edited and then "unsealed" (``seq``
and ``chain_hash`` set back to NULL) to be sealed again. A hash of the row cannot tell: anyone
who can write the table can compute it. So each row is written, in its own INSERT, with
``row_mac`` = HMAC-SHA256 of its canonical content under the audit key's ``row`` sub-key
(:mod:`hub.core.audit_keys`, a key the database does not hold), and the sweep seals only rows
whose ``row_mac`` verifies:

- a row inserted by someone without the key has no valid MAC: never sealed, and named by
  ``samad-hub audit verify``;
- a row changed after its insert no longer matches its MAC, sealed or not;
- a genuine row copied under another id does not match either: the id is part of the MAC.

What a row MAC cannot show is a genuine row deleted before the sweep sealed it (seconds after its
insert); once sealed, a deletion breaks the chain or falls behind its signed checkpoint.

The id must be known before the row is written to be MACed: on PostgreSQL the ids are reserved
from the table's sequence in one query, and the rows go in as :func:`hub.db.bulk.insert_rows`
writes them (one array per column for many); elsewhere (SQLite, one writer at a time) the rows
are inserted, their ids read back, and their MACs written by an UPDATE in the same transaction.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.orm import Session

from hub.core.audit_keys import KeyUse, audit_mac, audit_mac_matches
from hub.db.bulk import insert_rows
from hub.db.models import Event

_EVENTS = Event.__table__
_INSERT = insert(_EVENTS)
_SET_MAC = (
    update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id")).values(row_mac=bindparam("mac"))
)
_RESERVE_IDS = text(
    "SELECT nextval(pg_get_serial_sequence('events', 'id')) FROM generate_series(1, :count)"
)
# An event's columns by name: a dict about to be inserted, or a RowMapping read back.
EventValues = Mapping[Any, Any]
CONTENT = ("id", "kind", "request_id", "referral_id", "from_state", "to_state", "actor")


def content(row: EventValues) -> dict[str, Any]:
    """What the row MAC covers: every column the hub writes at insert (``data`` and
    ``created_at`` too), its id included."""
    created = row["created_at"].astimezone(UTC).isoformat(timespec="microseconds")
    values = {name: row[name] for name in CONTENT}
    return {**values, "data": _as_stored(row["data"]), "created_at": created}


def canonical(values: EventValues) -> bytes:
    """One stable byte form of a JSON-able mapping (sorted keys, no spaces, UTF-8)."""
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def row_mac(row: EventValues) -> str:
    return audit_mac(KeyUse.ROW, canonical(content(row)))


def row_mac_matches(row: EventValues) -> bool:
    return audit_mac_matches(KeyUse.ROW, canonical(content(row)), row.get("row_mac"))


def insert_with_macs(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert event rows (without ids), in this order, each with its id and its row MAC."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        ids = sorted(session.execute(_RESERVE_IDS, {"count": len(rows)}).scalars())
        insert_rows(session, Event, [_marked(row, i) for row, i in zip(rows, ids, strict=True)])
        return
    connection = session.connection()
    returning = _INSERT.returning(_EVENTS.c.id, sort_by_parameter_order=True)
    inserted = connection.execute(returning, [{**row, "row_mac": None} for row in rows])
    macs = [
        {"event_id": event_id, "mac": _marked(row, event_id)["row_mac"]}
        for row, event_id in zip(rows, inserted.scalars().all(), strict=True)
    ]
    connection.execute(_SET_MAC, macs)


def _marked(row: dict[str, Any], event_id: int) -> dict[str, Any]:
    with_id = {**row, "id": event_id}
    return {**with_id, "row_mac": row_mac(with_id)}


def _as_stored(data: Any) -> Any:
    """``data`` as it reads back from either database: plain JSON values, and a float with no
    fraction as an integer (PostgreSQL's jsonb prints ``1e16`` as ``10000000000000000``)."""
    return _integral_floats(json.loads(json.dumps(data)))


def _integral_floats(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_floats(item) for item in value]
    return value
