"""The deadline sweep's clock: real time, unless a clock file says otherwise.

Deadlines are measured in working days; a test or a demo cannot wait for them. With
``SAMAD_CLOCK_FILE`` set and the file present, ``now()`` is the instant written in it (ISO 8601
with an offset) — every process that reads the same file sees the same "now". Without the file,
it is the real time. Production never sets it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from hub.core.settings import get_settings
from hub.db.types import utcnow


def now() -> datetime:
    """The current instant as the deadline sweep sees it (aware, UTC)."""
    path = get_settings().clock_file
    if path is None:
        return utcnow()
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return utcnow()
    if not text:
        return utcnow()
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError(f"{path}: {text!r} has no time zone")
    return moment


def set_clock(path: Path, moment: datetime | None) -> None:
    """Write ``moment`` as the shared "now" (``None``: back to real time)."""
    if moment is None:
        Path(path).unlink(missing_ok=True)
        return
    temporary = Path(path).with_suffix(".tmp")
    temporary.write_text(moment.isoformat(), encoding="utf-8")
    temporary.replace(path)  # atomic: a reader never sees half a time
