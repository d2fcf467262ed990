"""The agency's Znuny helpdesk: its tickets, articles, dynamic fields, agents and sessions.

What a Znuny keeps, as far as the ticket connector shows it: a ticket has an internal
``TicketID`` (1, 2, 3 …) and the number its clerks quote, ``TicketNumber`` (the date, the system
id ``10``, a counter and a check digit: ``2026120410000017``); every TicketCreate opens a new
ticket — Znuny has no idea of a request seen before. Times are kept in UTC and shown in the
helpdesk's own zone without one (``2026-12-04 18:40:00``), as Znuny shows them.

A session (SessionCreate) is valid for ``session_seconds`` after its last use, on the
helpdesk's clock (injectable: tests move time instead of waiting).
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

# Znuny's default states, with their IDs and state types.
STATES: dict[str, tuple[int, str]] = {
    "new": (1, "new"),
    "closed successful": (2, "closed"),
    "closed unsuccessful": (3, "closed"),
    "open": (4, "open"),
    "removed": (5, "removed"),
    "pending reminder": (6, "pending reminder"),
    "pending auto close+": (7, "pending auto"),
    "pending auto close-": (8, "pending auto"),
    "merged": (9, "merged"),
}
PRIORITIES = {"1 very low": 1, "2 low": 2, "3 normal": 3, "4 high": 4, "5 very high": 5}
SENDER_TYPES = {"agent": 1, "system": 2, "customer": 3}
DEFAULT_QUEUES = ("Postmaster", "Raw", "Junk", "Misc")
DEFAULT_DYNAMIC_FIELDS = ("SamadReference", "SamadTrackingCode")
SYSTEM_ID = "10"


def utc_now() -> datetime:
    return datetime.now(UTC)


def check_digit(digits: str) -> int:
    """A check digit over the number, weights 1, 2, 1, 2 …"""
    total = sum(int(d) * (1 + i % 2) for i, d in enumerate(digits)) % 10
    return 1 if total == 0 else 10 - total


@dataclass
class Article:
    article_id: int
    ticket_id: int
    sender_type: str
    subject: str
    body: str
    created: datetime
    visible: bool = True
    channel: str = "Internal"
    content_type: str = "text/plain; charset=utf8"
    sender: str = ""


@dataclass
class Ticket:
    ticket_id: int
    number: str
    title: str
    queue: str
    state: str
    priority: str
    customer_user: str
    created: datetime
    changed: datetime
    owner: str = "root@localhost"
    type: str = "Unclassified"
    dynamic_fields: dict[str, list[str]] = field(default_factory=dict)
    articles: list[Article] = field(default_factory=list)
    closed: datetime | None = None


@dataclass
class Session:
    user: str
    last_used: datetime


@dataclass
class Helpdesk:
    users: dict[str, str]  # agent login → password
    clock: Callable[[], datetime] = utc_now
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Tehran"))
    session_seconds: float = 7200.0
    queues: tuple[str, ...] = DEFAULT_QUEUES
    dynamic_fields: tuple[str, ...] = DEFAULT_DYNAMIC_FIELDS
    tickets: dict[int, Ticket] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    _article_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def local(self, moment: datetime) -> str:
        """A time as Znuny writes it: in the helpdesk's zone, without the zone."""
        return moment.astimezone(self.zone).strftime("%Y-%m-%d %H:%M:%S")

    # Agents and sessions

    def login(self, user: str, password: str) -> bool:
        expected = self.users.get(user)
        given = password.encode()
        return expected is not None and secrets.compare_digest(expected.encode(), given)

    def open_session(self, user: str) -> str:
        with self._lock:
            session_id = secrets.token_hex(16)
            self.sessions[session_id] = Session(user, self.clock())
            return session_id

    def session_user(self, session_id: str) -> str | None:
        """The agent of a session still valid (its idle time renewed), else None."""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                return None
            if self.clock() - session.last_used > timedelta(seconds=self.session_seconds):
                del self.sessions[session_id]
                return None
            session.last_used = self.clock()
            return session.user

    def expire_sessions(self) -> None:
        with self._lock:
            self.sessions.clear()

    # Tickets

    def open_ticket(self, ticket: dict[str, str], customer_article: dict[str, str]) -> Ticket:
        """A new ticket with its first article — always a new one."""
        with self._lock:
            now = self.clock()
            ticket_id = len(self.tickets) + 1
            day = now.astimezone(self.zone).strftime("%Y%m%d")
            digits = f"{day}{SYSTEM_ID}{ticket_id:05d}"
            opened = Ticket(
                ticket_id=ticket_id,
                number=f"{digits}{check_digit(digits)}",
                title=ticket["Title"],
                queue=ticket["Queue"],
                state=ticket["State"],
                priority=ticket["Priority"],
                customer_user=ticket["CustomerUser"],
                type=ticket.get("Type") or "Unclassified",
                created=now,
                changed=now,
            )
            self.tickets[ticket_id] = opened
            self.add_article(opened, customer_article)
            return opened

    def add_article(self, ticket: Ticket, article: dict[str, str]) -> Article:
        with self._lock:
            added = Article(
                article_id=next(self._article_ids),
                ticket_id=ticket.ticket_id,
                sender_type=article.get("SenderType") or "customer",
                subject=article.get("Subject", ""),
                body=article.get("Body", ""),
                created=self.clock(),
                visible=str(article.get("IsVisibleForCustomer", "1")) == "1",
                channel=article.get("CommunicationChannel") or "Internal",
                content_type=article.get("ContentType") or "text/plain; charset=utf8",
                sender=article.get("From", ""),
            )
            ticket.articles.append(added)
            ticket.changed = added.created
            return added

    def set_state(self, ticket: Ticket, state: str) -> None:
        with self._lock:
            ticket.state = state
            ticket.changed = self.clock()
            ticket.closed = ticket.changed if STATES[state][1] == "closed" else None

    def answer(self, ticket_id: int, state: str, body: str, agent: str = "agent1") -> Article:
        """What a clerk does: write the answer to the citizen and move the ticket on."""
        with self._lock:
            ticket = self.tickets[ticket_id]
            article = self.add_article(
                ticket,
                {"SenderType": "agent", "Subject": f"RE: {ticket.title}", "Body": body,
                 "IsVisibleForCustomer": "1", "From": agent},
            )  # fmt: skip
            self.set_state(ticket, state)
            return article

    def with_field(self, name: str, value: str) -> list[Ticket]:
        """The tickets whose dynamic field ``name`` holds ``value``, oldest first."""
        with self._lock:
            return [t for t in self.tickets.values() if value in t.dynamic_fields.get(name, [])]

    def reset(self) -> None:
        with self._lock:
            self.tickets.clear()
            self.sessions.clear()
            self._article_ids = itertools.count(1)
