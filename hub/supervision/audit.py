"""The tamper-evident event log: events sealed into a keyed chain, anchored by signed checkpoints.

Each sealed event carries ``seq`` (1, 2, 3 … with no gaps) and ``chain_hash`` =
HMAC-SHA256(chain key; previous event's chain_hash ‖ the event's canonical content, its ``seq``
and ``row_mac`` included). The key is the audit key's ``chain`` sub-key
(:mod:`hub.core.audit_keys`), which the database does not hold: whoever can write the table can
change a row and recompute a plain hash, but not this one. Three things anchor the chain:

- the **row MAC** every event gets at its insert (:mod:`hub.referrals.event_macs`): the sweep
  seals only rows whose MAC verifies, so a row inserted without the key, or edited (and perhaps
  "unsealed" by setting ``seq``/``chain_hash`` back to NULL), is never sealed as genuine;
- the **chain**: changing, inserting or deleting a sealed event breaks it at that place;
- the **checkpoints** of the head (:mod:`hub.supervision.audit_checkpoints`), written outside the
  database after each seal: deleting or unsealing the newest events leaves the chain shorter than
  its last checkpoint. The sweep also refuses to extend a chain that does not reach its last
  checkpoint, so a shortened chain is not sealed over and re-anchored.

``samad-hub audit verify`` (:mod:`hub.supervision.audit_verify`) names every such place.

Why seal afterwards, not at insert: chaining at insert would make every intake transaction wait for
the previous one to commit (one global lock on the hottest insert of the hub). Instead events are
appended freely, each with its row MAC, and the sealing sweep (``hub.seal_events``, every few
seconds) takes the committed unsealed ones in id order and chains them. Only the sweep takes a lock
— a PostgreSQL transaction-level advisory lock, so two sweeps never chain concurrently; intake
never waits. The price: a genuine event deleted in the seconds before it is sealed goes unnoticed,
and an event written late with a smaller id is chained where it is sealed, not by id.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from sqlalchemy import RowMapping, func, select, text, update
from sqlalchemy.orm import Session

from hub.core.audit_keys import KeyUse, audit_mac
from hub.core.errors import Refused
from hub.core.settings import get_settings
from hub.db.models import Event
from hub.db.session import session_scope
from hub.referrals.event_macs import EventValues, canonical, content, row_mac_matches
from hub.supervision.audit_checkpoints import Checkpoint, last_line, write_checkpoint

log = logging.getLogger("hub.audit")
GENESIS = "0" * 64
_LOCK_KEY = 0x5A4D_AD11  # pg_advisory_xact_lock key of the sealing sweep
_EVENTS = Event.__table__
LISTED = 20  # at most this many events named per kind of problem


def linked(values: EventValues) -> bytes:
    """What a sealed event's link covers: its content, its seq and its row MAC."""
    return canonical({**content(values), "seq": values["seq"], "row_mac": values["row_mac"]})


def link(previous: str, values: EventValues) -> str:
    return audit_mac(KeyUse.CHAIN, previous.encode() + linked(values))


def unkeyed_link(previous: str, values: EventValues) -> str:
    """The same link as a plain SHA-256: what someone without the key would compute."""
    return hashlib.sha256(previous.encode() + linked(values)).hexdigest()


def seal(url: str | None = None, *, limit: int = 5000, checkpoints: Path | None = None) -> int:
    """Chain up to ``limit`` committed unsealed events, oldest id first, in one transaction;
    then checkpoint the new head. Returns how many were sealed.

    Raises :class:`~hub.core.errors.Refused` when the chain does not reach its last checkpoint
    (its newest sealed events were removed) or that checkpoint is not signed with the audit key.
    """
    path = checkpoints or get_settings().audit_checkpoint_path
    with session_scope(url) as session:
        batch = _seal_batch(session, path, limit)
    if batch.head is not None and (batch.sealed or not batch.anchored):
        if not batch.anchored and batch.earlier is not None:
            log.warning(
                "no audit checkpoint in %s: anchoring the chain at seq %d", path, batch.earlier[0]
            )
        write_checkpoint(path, Checkpoint.of_head(*batch.head))
    return batch.sealed


Head = tuple[int, int, str]  # the newest sealed event's seq, id and chain_hash


@dataclass(frozen=True)
class _Batch:
    sealed: int
    head: Head | None  # after this seal
    earlier: Head | None  # before it
    anchored: bool  # a checkpoint was there to check the earlier head against


def _seal_batch(session: Session, path: Path, limit: int) -> _Batch:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    anchor = _anchor(path)
    earlier = _head(session)
    if anchor is not None:
        _refuse_unless_anchored(session, earlier, anchor)
    sealed, head = _chain_unsealed(session, earlier, limit)
    return _Batch(sealed, head, earlier, anchored=anchor is not None)


def _chain_unsealed(session: Session, head: Head | None, limit: int) -> tuple[int, Head | None]:
    """Chain up to ``limit`` unsealed events onto ``head``, in id order, skipping (and logging)
    those whose row MAC does not verify; how many were sealed, and the new head."""
    seq, previous = (head[0], head[2]) if head else (0, GENESIS)
    sealed, after, refused = 0, 0, []
    while sealed < limit and (rows := unsealed_after(session, after, limit)):
        for values in rows:
            after = values["id"]
            if not row_mac_matches(values):
                refused.append(after)
                continue
            seq, sealed = seq + 1, sealed + 1
            previous = link(previous, {**values, "seq": seq})
            head = (seq, after, previous)
            session.execute(
                update(Event)
                .where(Event.id == after, Event.seq.is_(None))
                .values(seq=seq, chain_hash=previous)
                .execution_options(synchronize_session=False)
            )
            if sealed == limit:
                break
    if refused:
        log.error(
            "audit: refused to seal %d events whose row MAC does not verify (written or changed "
            "without the audit key): ids %s",
            len(refused),
            ", ".join(map(str, refused[:LISTED])),
        )
    return sealed, head


def _anchor(path: Path) -> Checkpoint | None:
    line = last_line(path)
    if line is None:
        return None
    checkpoint = Checkpoint.parse(line)
    if checkpoint is None:
        raise Refused(
            f"the last audit checkpoint in {path} does not verify with the audit key: "
            "sealing stops until it is explained",
            "آخرین نقطهٔ وارسی زنجیرهٔ رویدادها با کلید ممیزی تأیید نمی‌شود؛ مهر زدن متوقف شد",
        )
    return checkpoint


def _refuse_unless_anchored(session: Session, head: Head | None, anchor: Checkpoint) -> None:
    """Refuse to extend a chain that does not run from the last checkpoint to ``head``: the
    checkpointed event in its place, and every event sealed since linked on to it."""
    at_anchor = session.execute(
        select(Event.id, Event.chain_hash).where(Event.seq == anchor.seq)
    ).first()
    newest = head[0] if head else 0
    if at_anchor is None or tuple(at_anchor) != (anchor.event_id, anchor.hash):
        found = (
            f"the audit chain ends at seq {newest}, before"
            if newest < anchor.seq
            else f"seq {anchor.seq} of the audit chain is not"
        )
        raise _not_anchored(found, anchor)
    broken = _first_break_after(session, anchor)
    if broken is not None:
        raise _not_anchored(f"seq {broken} of the audit chain does not follow from", anchor)


def _first_break_after(session: Session, anchor: Checkpoint) -> int | None:
    """The first seq after the checkpoint's that is missing or does not link (None: all do).
    Usually there is nothing to read: every seal checkpoints its head."""
    previous, expected = anchor.hash, anchor.seq + 1
    while rows := sealed_from(session, expected, LISTED):
        for values in rows:
            if values["seq"] != expected or link(previous, values) != values["chain_hash"]:
                return expected
            previous, expected = values["chain_hash"], expected + 1
    return None


def _not_anchored(found: str, anchor: Checkpoint) -> Refused:
    return Refused(
        f"{found} the event its last checkpoint ({anchor.at}) records (event id {anchor.event_id}, "
        f"seq {anchor.seq}): sealed events were removed or rewritten; sealing stops until they "
        "are restored (samad-hub audit verify names them)",
        "زنجیرهٔ رویدادها با آخرین نقطهٔ وارسی نمی‌خواند؛ مهر زدن تا بازگرداندن رویدادها متوقف شد",
    )


def _head(session: Session) -> Head | None:
    row = session.execute(
        select(Event.seq, Event.id, Event.chain_hash)
        .where(Event.seq.is_not(None))
        .order_by(Event.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    # A sealed event has its seq (the where clause) and its chain_hash (sealing wrote both).
    seq, event_id, chain_hash = row
    return cast(int, seq), event_id, chain_hash or ""


def sealed_from(session: Session, seq: int, limit: int) -> Sequence[RowMapping]:
    """Up to ``limit`` sealed events from ``seq`` on, in seq order, as column mappings."""
    query = select(_EVENTS).where(_EVENTS.c.seq >= seq).order_by(_EVENTS.c.seq)
    return session.execute(query.limit(limit)).mappings().all()


def unsealed_after(session: Session, after: int, limit: int) -> Sequence[RowMapping]:
    """Up to ``limit`` unsealed events with ids above ``after``, as column mappings."""
    query = select(_EVENTS).where(_EVENTS.c.seq.is_(None), _EVENTS.c.id > after)
    return session.execute(query.order_by(_EVENTS.c.id).limit(limit)).mappings().all()


def sealed_count(session: Session) -> int:
    return session.scalar(select(func.count()).where(Event.seq.is_not(None))) or 0
