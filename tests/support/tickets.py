"""Counting what the agency holds: exactly one ticket per referral, counted at the agency.

"No second ticket" is checked where it would show — in the agency's own store, by the referral's
reference — not by a figure the sandbox keeps about idempotency keys: a hub that sent a new key
on each retry, or none, would open a second ticket without any key being used twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol


class HoldsTickets(Protocol):
    """An agency sandbox that finds its tickets by referral reference (REST, Znuny)."""

    def tickets_for(self, reference: str) -> Sequence[object]: ...


def assert_one_ticket_each(store: HoldsTickets, references: Iterable[str]) -> None:
    """Fail, naming every offender and its tickets, unless each reference has exactly one."""
    wrong = []
    for reference in references:
        tickets = store.tickets_for(reference)
        if len(tickets) == 0:
            wrong.append(f"{reference}: no ticket")
        elif len(tickets) > 1:
            names = ", ".join(_ticket_id(ticket) for ticket in tickets)
            wrong.append(f"{reference}: {len(tickets)} tickets ({names})")
    assert not wrong, "the agency should hold exactly one ticket per referral; " + "; ".join(wrong)


def _ticket_id(ticket: object) -> str:
    for name in ("id", "ticket_id"):
        if (value := getattr(ticket, name, None)) is not None:
            return str(value)
    return repr(ticket)
