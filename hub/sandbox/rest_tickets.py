"""The REST sandbox's ticket store: a water company's "CRM" tickets, kept in memory.

A ticket never changes on its own thread: its status is worked out from the clock each time it is
read (one step per ``step_seconds`` since it was opened). That keeps the store a few dictionaries
behind one lock — fast enough for a thousand tickets a second — while statuses still move over
time, and a test that owns the clock decides exactly when.

Statuses, each change an event with its own id and time::

    NEW → SEEN → ASSIGNED → IN_FIELD → CLOSED_DONE   (with a Persian ``resolution``)
    NEW → SEEN → REJECTED                            (when the title or description says [return])
"""

from __future__ import annotations

import math
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jdatetime

RETURN_MARKER = "[return]"
DONE_PATH = ("NEW", "SEEN", "ASSIGNED", "IN_FIELD", "CLOSED_DONE")
RETURN_PATH = ("NEW", "SEEN", "REJECTED")
RESOLUTION_DONE = "کارشناسان در محل حاضر شدند، مشکل برطرف شد و آب‌رسانی به حالت عادی بازگشت."
RESOLUTION_REJECTED = "موضوع درخواست در حیطه وظایف شرکت آب و فاضلاب نیست و عودت داده شد."

Clock = Callable[[], float]


class ManualClock:
    """A clock a test moves by hand: ``clock.advance(0.5)``."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


@dataclass
class Ticket:
    id: str
    data: dict[str, Any]
    opened_at: float  # on the store's clock
    path: tuple[str, ...]
    replays: int = 0  # later pushes answered with this ticket (its key or unique field again)


@dataclass(frozen=True)
class Stats:
    tickets: int
    posts: int
    replays: int
    duplicates: int  # tickets opened for a referral reference that already had one


@dataclass
class _Counters:
    posts: int = 0
    replays: int = 0
    opened_per_reference: Counter[str] = field(default_factory=Counter)


class TicketStore:
    """Thread-safe tickets, idempotency keys and the figures ``/_control/stats`` shows.

    A ticket belongs to the referral whose reference is in its ``data[reference_field]`` (the
    agreement maps the hub's reference there: ``ref`` for the water company). A second ticket for
    one reference is a duplicate, however it came about — no key, another key, a CRM that ignores
    keys — so ``duplicates`` counts tickets per reference, not per idempotency key.
    """

    def __init__(
        self, step_seconds: float, clock: Clock, prefix: str = "WTR", reference_field: str = "ref"
    ) -> None:
        self.step_seconds = step_seconds
        self.clock = clock
        self.prefix = prefix
        self.reference_field = reference_field
        self._lock = threading.Lock()
        self._tickets: dict[str, Ticket] = {}
        self._by_key: dict[str, str] = {}
        self._counters = _Counters()
        # Event times are wall-clock times anchored here, so a manual clock gives real-looking
        # timestamps that still move exactly when the test moves the clock.
        self._wall_anchor = datetime.now(UTC)
        self._clock_anchor = clock()
        self._year = jdatetime.date.today().year

    def count_post(self) -> None:
        """Count a POST received, valid or not."""
        with self._lock:
            self._counters.posts += 1

    def open(self, data: Mapping[str, Any], idempotency_key: str | None) -> tuple[Ticket, bool]:
        """Open a ticket, or find the one this key opened; returns (ticket, created)."""
        with self._lock:
            if idempotency_key is not None and idempotency_key in self._by_key:
                self._counters.replays += 1
                replayed = self._tickets[self._by_key[idempotency_key]]
                replayed.replays += 1
                return replayed, False
            ticket = Ticket(
                id=f"{self.prefix}-{self._year}-{len(self._tickets) + 1:06d}",
                data=dict(data),
                opened_at=self.clock(),
                path=RETURN_PATH if _asks_for_return(data) else DONE_PATH,
            )
            self._tickets[ticket.id] = ticket
            if idempotency_key is not None:
                self._by_key[idempotency_key] = ticket.id
            reference = data.get(self.reference_field)
            if reference is not None:
                self._counters.opened_per_reference[str(reference)] += 1
            return ticket, True

    def get(self, ticket_id: str) -> Ticket | None:
        with self._lock:
            return self._tickets.get(ticket_id)

    def matching(self, fields: Mapping[str, str]) -> list[Ticket]:
        """The tickets whose data has every one of ``fields`` (compared as text), oldest first."""
        with self._lock:
            return [
                ticket
                for ticket in self._tickets.values()
                if all(str(ticket.data.get(key)) == value for key, value in fields.items())
            ]

    def count_with(self, key: str, value: Any) -> int:
        """How many tickets were opened with ``data[key] == value`` (a test's own count)."""
        with self._lock:
            return sum(1 for ticket in self._tickets.values() if ticket.data.get(key) == value)

    def opened(self) -> list[Ticket]:
        """Every ticket opened, oldest first."""
        with self._lock:
            return list(self._tickets.values())

    def tickets_for(self, reference: str) -> list[Ticket]:
        """The tickets opened for one referral (its reference in ``data[reference_field]``)."""
        return self.matching({self.reference_field: reference})

    def stats(self) -> Stats:
        with self._lock:
            per_reference = self._counters.opened_per_reference.values()
            return Stats(
                tickets=len(self._tickets),
                posts=self._counters.posts,
                replays=self._counters.replays,
                duplicates=sum(count - 1 for count in per_reference if count > 1),
            )

    def describe(self, ticket: Ticket) -> dict[str, Any]:
        """The ticket as the API shows it, with its status as of now."""
        reached = self._steps_taken(ticket)
        events = [
            {
                "id": f"{ticket.id}-E{step + 1}",
                "status": status,
                "at": self._wall_time(ticket.opened_at + step * self.step_seconds),
            }
            for step, status in enumerate(ticket.path[: reached + 1])
        ]
        status = events[-1]["status"]
        return {
            "id": ticket.id,
            "status": status,
            "title": ticket.data.get("title"),
            "resolution": _resolution(status),
            "created_at": events[0]["at"],
            "updated_at": events[-1]["at"],
            "data": ticket.data,
            "events": events,
        }

    def _steps_taken(self, ticket: Ticket) -> int:
        elapsed = self.clock() - ticket.opened_at
        # A hair of tolerance so that advancing a manual clock by exactly one step always counts.
        steps = math.floor(elapsed / self.step_seconds + 1e-9)
        return max(0, min(steps, len(ticket.path) - 1))

    def _wall_time(self, on_clock: float) -> str:
        moment = self._wall_anchor + timedelta(seconds=on_clock - self._clock_anchor)
        return moment.isoformat(timespec="milliseconds")


def _asks_for_return(data: Mapping[str, Any]) -> bool:
    return any(RETURN_MARKER in str(data.get(key, "")) for key in ("title", "description"))


def _resolution(status: str) -> str | None:
    return {"CLOSED_DONE": RESOLUTION_DONE, "REJECTED": RESOLUTION_REJECTED}.get(status)
