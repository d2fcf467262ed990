"""The tamper-evident event log: events sealed into a hash chain, and a walk that checks it.

Each sealed event carries ``seq`` (1, 2, 3 … with no gaps) and ``chain_hash`` =
SHA-256(previous event's chain_hash ‖ the event's canonical content). Changing any sealed event,
inserting one into the chain or deleting one breaks the chain at that place, and
:func:`verify` names the first event where it breaks.

Why seal afterwards, not at insert: chaining at insert would make every intake transaction wait
for the previous one to commit (one global lock on the hottest insert of the hub). Instead events
are appended freely, and the sealing sweep (``hub.seal_events``, every few seconds) takes the
committed unsealed ones in id order and chains them. Only the sweep takes a lock — a PostgreSQL
transaction-level advisory lock, so two sweeps never chain concurrently; intake never waits.
The price: an event is tamper-evident from the moment it is sealed, a few seconds after it was
written, and an event written late with a smaller id is chained where it is sealed, not by id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any, cast

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from hub.db.models import Event

GENESIS = "0" * 64
_LOCK_KEY = 0x5A4D_AD11  # pg_advisory_xact_lock key of the sealing sweep


def canonical(event: Event) -> bytes:
    """The content of an event that the chain protects, in one stable byte form."""
    created = event.created_at.astimezone(UTC).isoformat(timespec="microseconds")
    content: dict[str, Any] = {
        "id": event.id,
        "seq": event.seq,
        "kind": event.kind,
        "request_id": event.request_id,
        "referral_id": event.referral_id,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "actor": event.actor,
        "data": event.data,
        "created_at": created,
    }
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def chain(previous: str, event: Event) -> str:
    return hashlib.sha256(previous.encode() + canonical(event)).hexdigest()


def seal(session: Session, limit: int = 5000) -> int:
    """Chain up to ``limit`` committed unsealed events, oldest id first; returns how many."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    last = session.execute(
        select(Event.seq, Event.chain_hash).where(Event.seq.is_not(None)).order_by(Event.seq.desc())
    ).first()
    # A sealed event's seq is not null (the where clause) and sealing wrote its chain_hash too;
    # the row type cannot know that from the query.
    seq, previous = cast(tuple[int, str], (last[0], last[1])) if last else (0, GENESIS)
    events = session.scalars(
        select(Event).where(Event.seq.is_(None)).order_by(Event.id).limit(limit)
    ).all()
    for event in events:
        seq += 1
        set_committed_value(event, "seq", seq)  # written by the UPDATE below, not by a flush
        previous = chain(previous, event)
        session.execute(
            update(Event)
            .where(Event.id == event.id, Event.seq.is_(None))
            .values(seq=seq, chain_hash=previous)
            .execution_options(synchronize_session=False)
        )
    return len(events)


@dataclass(frozen=True)
class Verdict:
    """What the walk found: ``ok``, or the first place the chain breaks and why."""

    checked: int
    unsealed: int
    problem: str | None = None
    event_id: int | None = None
    seq: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(
    session: Session, batch: int = 5000, on_batch: Callable[[int], None] | None = None
) -> Verdict:
    """Walk the chain in ``seq`` order and stop at the first event that does not fit.

    ``on_batch`` hears how many events were found good so far, after each batch (a progress bar).
    """
    unsealed = session.scalar(select(func.count()).where(Event.seq.is_(None))) or 0
    previous, expected, checked = GENESIS, 1, 0
    while True:
        events = session.scalars(
            select(Event).where(Event.seq >= expected).order_by(Event.seq).limit(batch)
        ).all()
        if not events:
            return Verdict(checked, unsealed)
        for event in events:
            if event.seq != expected:
                return Verdict(
                    checked,
                    unsealed,
                    f"event seq {expected} is missing (removed): the chain jumps to seq "
                    f"{event.seq} (event id {event.id})",
                    event.id,
                    expected,
                )
            if chain(previous, event) != event.chain_hash:
                return Verdict(
                    checked,
                    unsealed,
                    f"event id {event.id} (seq {event.seq}) was changed or inserted: "
                    "its content does not match its hash",
                    event.id,
                    event.seq,
                )
            previous, expected, checked = event.chain_hash or "", expected + 1, checked + 1
        session.expunge_all()
        if on_batch is not None:
            on_batch(checked)
