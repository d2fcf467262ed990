"""``samad-hub audit verify``: walk the audit chain, check its head against the last checkpoint,
and check the row MAC of every event not sealed yet (:mod:`hub.supervision.audit` says what each
of these protects against)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.core.settings import get_settings
from hub.db.models import Event
from hub.referrals.event_macs import EventValues, row_mac_matches
from hub.supervision.audit import (
    GENESIS,
    LISTED,
    link,
    sealed_from,
    unkeyed_link,
    unsealed_after,
)
from hub.supervision.audit_checkpoints import Checkpoint, last_line


@dataclass(frozen=True)
class Problem:
    """One place where the log is not what the hub wrote."""

    message: str
    event_id: int | None = None
    seq: int | None = None


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: ``ok``, or every problem, the chain's first break first."""

    checked: int
    unsealed: int
    problems: tuple[Problem, ...] = ()
    checkpoint: Checkpoint | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def problem(self) -> str | None:
        return self.problems[0].message if self.problems else None

    @property
    def event_id(self) -> int | None:
        return self.problems[0].event_id if self.problems else None

    @property
    def seq(self) -> int | None:
        return self.problems[0].seq if self.problems else None


def verify(
    session: Session,
    batch: int = 5000,
    on_batch: Callable[[int], None] | None = None,
    checkpoints: Path | None = None,
) -> Verdict:
    """Walk the chain in ``seq`` order up to the first event that does not fit; then check the
    head against the last checkpoint in ``checkpoints`` (default: SAMAD_AUDIT_CHECKPOINT_FILE),
    and the row MAC of every unsealed event.

    ``on_batch`` hears how many events were found good so far, after each batch (a progress bar).
    """
    path = checkpoints or get_settings().audit_checkpoint_path
    # Read before the walk: a checkpoint is written only once its seal has committed, so every
    # event it names is there for the walk.
    anchor_line = last_line(path)
    checked, broken = _walk(session, batch, on_batch)
    anchor, against_anchor = _against_checkpoint(session, path, anchor_line)
    unsealed, forged = _unsealed(session, batch)
    problems = [*([broken] if broken else []), *_outside(session), *against_anchor, *forged]
    return Verdict(checked, unsealed, tuple(problems), anchor)


def _walk(
    session: Session, batch: int, on_batch: Callable[[int], None] | None
) -> tuple[int, Problem | None]:
    """How many events fit the chain from seq 1, and the first that does not."""
    previous, expected = GENESIS, 1
    while True:
        rows = sealed_from(session, expected, batch)
        if not rows:
            return expected - 1, None
        for values in rows:
            if values["seq"] != expected:
                return expected - 1, Problem(
                    f"event seq {expected} is missing (removed): the chain jumps to seq "
                    f"{values['seq']} (event id {values['id']})",
                    values["id"],
                    expected,
                )
            if link(previous, values) != values["chain_hash"]:
                return expected - 1, _changed(previous, values)
            previous, expected = values["chain_hash"], expected + 1
        if on_batch is not None:
            on_batch(expected - 1)


def _changed(previous: str, values: EventValues) -> Problem:
    how = (
        "its hash is a plain SHA-256 of its content, made without the audit key"
        if unkeyed_link(previous, values) == values["chain_hash"]
        else "its content does not match its hash"
    )
    return Problem(
        f"event id {values['id']} (seq {values['seq']}) was changed or inserted: {how}",
        values["id"],
        values["seq"],
    )


def _outside(session: Session) -> list[Problem]:
    """Sealed events the walk from seq 1 never reaches."""
    query = select(Event.id, Event.seq).where(Event.seq < 1).order_by(Event.seq).limit(LISTED)
    return [
        Problem(f"event id {id_} has seq {seq}, outside the chain (it starts at seq 1)", id_, seq)
        for id_, seq in session.execute(query)
    ]


def _against_checkpoint(
    session: Session, path: Path, line: str | None
) -> tuple[Checkpoint | None, list[Problem]]:
    sealed = select(func.count()).where(Event.seq.is_not(None))
    if line is None:
        if not session.scalar(sealed):
            return None, []
        return None, [
            Problem(
                f"no checkpoint of the chain's head in {path}: whether its newest events were "
                "removed cannot be checked (the sealing sweep appends one after every seal)"
            )
        ]
    anchor = Checkpoint.parse(line)
    if anchor is None:
        return None, [
            Problem(
                f"the last checkpoint in {path} does not verify with the audit key: forged, "
                "damaged, or signed with another key"
            )
        ]
    problems = [*_head_problems(session, anchor)]
    counted = session.scalar(sealed.where(Event.seq <= anchor.seq)) or 0
    if counted != anchor.count:
        problems.append(
            Problem(
                f"the last checkpoint ({anchor.at}) counts {anchor.count} sealed events up to seq "
                f"{anchor.seq}; the table holds {counted}",
                anchor.event_id,
                anchor.seq,
            )
        )
    return anchor, problems


def _head_problems(session: Session, anchor: Checkpoint) -> list[Problem]:
    """The event at the checkpoint's seq: there, and the one checkpointed."""
    found = session.execute(
        select(Event.id, Event.chain_hash).where(Event.seq == anchor.seq)
    ).first()
    named = f"event id {anchor.event_id} (seq {anchor.seq})"
    if found is None:
        newest = session.scalar(select(func.max(Event.seq))) or 0
        if newest < anchor.seq:
            gone = f"seq {newest + 1} to {anchor.seq}" if newest + 1 < anchor.seq else named
            message = (
                f"the chain ends at seq {newest}, but its last checkpoint ({anchor.at}) records "
                f"{anchor.count} events up to {named}: the newest sealed events ({gone}) were "
                "removed or unsealed"
            )
        else:
            message = f"{named}, the head at the last checkpoint ({anchor.at}), is missing"
        return [Problem(message, anchor.event_id, anchor.seq)]
    if tuple(found) != (anchor.event_id, anchor.hash):
        return [
            Problem(
                f"event id {found.id} (seq {anchor.seq}) is not the head checkpointed at "
                f"{anchor.at} ({named}, hash {anchor.hash[:16]}…): the chain's end was rewritten",
                found.id,
                anchor.seq,
            )
        ]
    return []


def _unsealed(session: Session, batch: int) -> tuple[int, list[Problem]]:
    """How many genuine events wait for the sweep, and those whose row MAC does not verify."""
    waiting, forged, after = 0, [], 0
    while rows := unsealed_after(session, after, batch):
        for values in rows:
            after = values["id"]
            if row_mac_matches(values):
                waiting += 1
            else:
                forged.append(after)
    problems = [
        Problem(
            f"event id {event_id} is not sealed and its row MAC does not verify: written or "
            "changed without the audit key (the sealing sweep refuses it)",
            event_id,
        )
        for event_id in forged[:LISTED]
    ]
    if len(forged) > LISTED:
        problems.append(Problem(f"… and {len(forged) - LISTED} more unsealed events like these"))
    return waiting, problems
