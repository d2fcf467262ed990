"""Signed checkpoints of the audit chain's head, kept where the database's users cannot reach.

A chain walked from its first event cannot tell that its newest events were deleted: the walk
simply ends where the rows end. So after every seal the sweep writes a checkpoint of the head —
its ``seq``, event id and chain hash, how many events are sealed, and when — signed with the
audit key's ``checkpoint`` sub-key (:mod:`hub.core.audit_keys`), as one JSON line, to two places
outside the database:

- the log (logger ``hub.audit``, level INFO, ``audit checkpoint {…}``), which the machine's log
  collector ships away: a copy that neither a database user nor the hub's own Unix user can
  rewrite afterwards;
- an append-only file, ``SAMAD_AUDIT_CHECKPOINT_FILE`` (default
  ``<SAMAD_DATA_DIR>/audit/checkpoints.jsonl``), on the disk of the machine that runs the sweep.
  No SQL reaches it, so a database account or an SQL injection cannot rewrite it;
  ``chattr +a`` keeps even the hub's user from truncating it.

``samad-hub audit verify`` checks the chain against the last line of the file, or of a copy
taken from the log (``--checkpoints``): events missing after the checkpoint's seq, another event
or hash at that seq, or another count, are named. Signatures keep a forged line from passing.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hub.core.audit_keys import KeyUse, audit_mac, audit_mac_matches
from hub.db.types import utcnow

log = logging.getLogger("hub.audit")
# The checkpoint line itself: signed hex the hub made, never a citizen's text, so the log
# masking leaves it whole (a run of ten digits in a hash would otherwise be starred out and
# the copy the log kept would no longer verify).
checkpoint_log = logging.getLogger("hub.audit.checkpoint")
_TAIL_BYTES = 8192  # a checkpoint line is about 250 bytes


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head as the sweep left it: ``count`` sealed events, the newest at ``seq``."""

    seq: int
    event_id: int
    hash: str
    count: int
    at: str  # ISO 8601, UTC

    @classmethod
    def of_head(cls, seq: int, event_id: int, chain_hash: str) -> Checkpoint:
        # seq runs 1, 2, 3 … without gaps, so the head's seq is the count; verify counts the rows.
        at = utcnow().isoformat(timespec="seconds")
        return cls(seq=seq, event_id=event_id, hash=chain_hash, count=seq, at=at)

    def line(self) -> str:
        fields = asdict(self)
        return _canonical({**fields, "mac": audit_mac(KeyUse.CHECKPOINT, _signed(fields))})

    @classmethod
    def parse(cls, line: str) -> Checkpoint | None:
        """The checkpoint a line holds (a log line's prefix is skipped), or None when the line
        is not one signed with the audit key."""
        try:
            fields = json.loads(line[line.index("{") :])
            mac = fields.pop("mac")
            checkpoint = cls(**fields)
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        if not audit_mac_matches(KeyUse.CHECKPOINT, _signed(asdict(checkpoint)), mac):
            return None
        return checkpoint


def write_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Log the checkpoint, then append it to ``path`` (one write, so lines never interleave)."""
    line = checkpoint.line()
    checkpoint_log.info("audit checkpoint %s", line)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(descriptor, (line + "\n").encode())
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
    except OSError as exc:  # the events are sealed; the next seal checkpoints a newer head
        log.error("could not append the audit checkpoint to %s: %s", path, exc)


def last_line(path: Path) -> str | None:
    """The last non-empty line of ``path``; None when there is no such file or line."""
    try:
        with path.open("rb") as file:
            size = file.seek(0, os.SEEK_END)
            file.seek(max(0, size - _TAIL_BYTES))
            tail = file.read()
    except FileNotFoundError:
        return None
    lines = [line for line in tail.decode("utf-8", errors="replace").splitlines() if line.strip()]
    return lines[-1] if lines else None


def _signed(fields: dict[str, Any]) -> bytes:
    return b"samad-hub audit checkpoint v1\n" + _canonical(fields).encode()


def _canonical(fields: dict[str, Any]) -> str:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))
