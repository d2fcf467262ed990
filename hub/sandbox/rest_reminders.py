"""The REST sandbox's reminder book: what the hub told the agency about tickets it holds.

``POST /api/v1/tickets/{id}/reminders`` files one reminder on a ticket, once per idempotency key
(201 the first time, 200 with the same reminder after); ``GET`` on the same path lists them.
A real agency system would show them to the clerk in charge; the sandbox keeps them for tests and
the demo to read.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FiledReminder:
    id: str
    ticket_id: str
    body: dict[str, Any]


class ReminderBook:
    """Thread-safe reminders per ticket, deduplicated by idempotency key."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_ticket: dict[str, list[FiledReminder]] = {}
        self._by_key: dict[str, FiledReminder] = {}
        # Statuses to answer the next reminders with, each for one ticket or (None) for any.
        self._refusals: list[tuple[int, str | None]] = []
        self.posts = 0

    def refuse_next(self, count: int, status: int = 503, ticket: str | None = None) -> None:
        """Answer the next ``count`` reminders with ``status`` (the reminder service is down) —
        only those filed on ``ticket`` when it is given, so a reminder the hub sends for another
        case meanwhile neither gets nor uses up the refusal."""
        with self._lock:
            self._refusals = [(status, ticket)] * count

    def refusal(self, ticket_id: str) -> int | None:
        """The status to refuse this reminder on ``ticket_id`` with, if any; counts the POST."""
        with self._lock:
            self.posts += 1
            for index, (status, ticket) in enumerate(self._refusals):
                if ticket is None or ticket == ticket_id:
                    del self._refusals[index]
                    return status
            return None

    def file(
        self, ticket_id: str, body: Mapping[str, Any], key: str | None
    ) -> tuple[FiledReminder, bool]:
        """File a reminder, or find the one this key filed; returns (reminder, created)."""
        with self._lock:
            if key is not None and key in self._by_key:
                return self._by_key[key], False
            filed = self._by_ticket.setdefault(ticket_id, [])
            reminder = FiledReminder(f"{ticket_id}-M{len(filed) + 1}", ticket_id, dict(body))
            filed.append(reminder)
            if key is not None:
                self._by_key[key] = reminder
            return reminder, True

    def of(self, ticket_id: str) -> list[FiledReminder]:
        with self._lock:
            return list(self._by_ticket.get(ticket_id, []))

    def all(self) -> list[FiledReminder]:
        with self._lock:
            return [r for filed in self._by_ticket.values() for r in filed]
