"""audit log: a keyed MAC on every event, and the chain re-made with the audit key

Events get ``row_mac`` (hub/referrals/event_macs.py). The chain so far is an unkeyed SHA-256
chain: it is walked as the old code walked it and, as far as it holds, re-made as the keyed chain
of hub/supervision/audit.py, each event with its row MAC. From the first event where the old
chain breaks on, nothing is touched, so ``samad-hub audit verify`` names that event. Unsealed
events get their row MAC: the old sweep would have sealed them as they are. The first sweep
after the upgrade (or ``samad-hub audit seal``) writes the first checkpoint of the head.

The forms are copied here as this revision knows them, so that a later change to the code does
not change what this migration does; the keys are the hub's (``hub.core.audit_keys``), from the
settings of the machine that runs it. Stop the API and the workers first: an event written by the
old code after this migration has no row MAC and is never sealed.

Downgrade re-makes the unkeyed chain over the events as they are, then drops ``row_mac``.

Revision ID: 0010_audit_row_macs
Revises: 0009_figures_outcomes
"""

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import hub.db.types
from hub.core.audit_keys import KeyUse, audit_mac

revision: str = "0010_audit_row_macs"
down_revision: str | None = "0009_figures_outcomes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_EVENTS = sa.table(
    "events",
    sa.column("id", _BIG),
    sa.column("seq", _BIG),
    sa.column("kind", sa.String()),
    sa.column("request_id", _BIG),
    sa.column("referral_id", _BIG),
    sa.column("from_state", sa.String()),
    sa.column("to_state", sa.String()),
    sa.column("actor", sa.String()),
    sa.column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql")),
    sa.column("created_at", hub.db.types.UtcDateTime()),
    sa.column("chain_hash", sa.String()),
    sa.column("row_mac", sa.String()),
)
_BATCH = 5000
_GENESIS = "0" * 64
_CONTENT = ("id", "kind", "request_id", "referral_id", "from_state", "to_state", "actor")


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("row_mac", sa.String(length=64), nullable=True))
    _rekey_chain(op.get_bind())
    _mac_unsealed(op.get_bind())


def downgrade() -> None:
    bind, previous, after = op.get_bind(), _GENESIS, 0
    while rows := _sealed_after(bind, after):
        changes = []
        for row in rows:
            previous, after = _legacy_link(previous, row), row["seq"]
            changes.append({"event_id": row["id"], "mac": None, "hash": previous})
        _write(bind, changes)
    with op.batch_alter_table("events") as batch:
        batch.drop_column("row_mac")


def _rekey_chain(bind: sa.Connection) -> None:
    legacy, keyed, expected = _GENESIS, _GENESIS, 1
    while rows := _sealed_after(bind, expected - 1):
        changes: list[dict[str, Any]] = []
        for row in rows:
            if row["seq"] != expected or _legacy_link(legacy, row) != row["chain_hash"]:
                _write(bind, changes)
                log.warning(
                    "the audit chain breaks at event id %s (seq %s): left as it is from there on",
                    row["id"],
                    row["seq"],
                )
                return
            mac = _row_mac(row)
            legacy, keyed = row["chain_hash"], _link(keyed, {**row, "row_mac": mac})
            changes.append({"event_id": row["id"], "mac": mac, "hash": keyed})
            expected += 1
        _write(bind, changes)


def _mac_unsealed(bind: sa.Connection) -> None:
    after = 0
    while True:
        query = sa.select(_EVENTS).where(_EVENTS.c.seq.is_(None), _EVENTS.c.id > after)
        rows = bind.execute(query.order_by(_EVENTS.c.id).limit(_BATCH)).mappings().all()
        if not rows:
            return
        after = rows[-1]["id"]
        macs = [{"event_id": row["id"], "mac": _row_mac(row)} for row in rows]
        bind.execute(
            sa.update(_EVENTS)
            .where(_EVENTS.c.id == sa.bindparam("event_id"))
            .values(row_mac=sa.bindparam("mac")),
            macs,
        )


def _sealed_after(bind: sa.Connection, seq: int) -> Sequence[sa.RowMapping]:
    query = sa.select(_EVENTS).where(_EVENTS.c.seq > seq).order_by(_EVENTS.c.seq).limit(_BATCH)
    return bind.execute(query).mappings().all()


def _write(bind: sa.Connection, changes: list[dict[str, Any]]) -> None:
    if changes:
        bind.execute(
            sa.update(_EVENTS)
            .where(_EVENTS.c.id == sa.bindparam("event_id"))
            .values(row_mac=sa.bindparam("mac"), chain_hash=sa.bindparam("hash")),
            changes,
        )


def _canonical(values: Mapping[Any, Any]) -> bytes:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _created(row: Mapping[Any, Any]) -> str:
    return str(row["created_at"].astimezone(UTC).isoformat(timespec="microseconds"))


def _legacy_link(previous: str, row: Mapping[Any, Any]) -> str:
    """The chain before this revision: SHA-256, no key."""
    content = {name: row[name] for name in _CONTENT}
    content.update(seq=row["seq"], data=row["data"], created_at=_created(row))
    return hashlib.sha256(previous.encode() + _canonical(content)).hexdigest()


def _content(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        **{name: row[name] for name in _CONTENT},
        "data": _integral_floats(row["data"]),
        "created_at": _created(row),
    }


def _row_mac(row: Mapping[Any, Any]) -> str:
    return audit_mac(KeyUse.ROW, _canonical(_content(row)))


def _link(previous: str, row: Mapping[Any, Any]) -> str:
    linked = {**_content(row), "seq": row["seq"], "row_mac": row["row_mac"]}
    return audit_mac(KeyUse.CHAIN, previous.encode() + _canonical(linked))


def _integral_floats(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_floats(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_floats(item) for item in value]
    return value
