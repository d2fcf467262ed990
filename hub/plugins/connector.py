"""What a connector is: the contract between the hub's core and an agency system.

A connector type is a class with a ``kind`` (the name agreements use in ``connector.type``), a
JSON Schema for its ``settings`` block, and three operations:

- ``push(referral) -> Receipt``: hand one referral to the agency; must be idempotent on
  ``referral.idempotency_key`` (a retried push never opens a second case);
- ``poll(receipts) -> list[AgencyUpdate]``: ask the agency what happened to these referrals;
- ``check() -> Health``: is the agency reachable, and does it accept what the agreement maps?

and optionally ``acknowledge(updates)``, called once the core has stored what ``poll`` returned,
and ``can_remind()`` / ``remind(referral, reminder)`` for an agency system that can carry a
:class:`Reminder` (a deadline near or missed, a case reopened by the citizen) on its own channel;
where it cannot, the hub writes to the agency's contacts by email instead.

The core creates one instance per agreement version per process and reuses it. Errors leave a
connector only as :class:`hub.core.errors.ConnectorError` (``permanent`` or not); the core maps the
agency's own status codes to hub states with the agreement's ``status_map``, so connectors return
the agency's statuses untouched.

Settings marked ``"x-secret": true`` in a connector's schema must be written in the agreement as
``${env:NAME}``; the core resolves them before the connector sees its settings.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from hub.core.errors import ConnectorError, PluginError
from hub.plugins.registry import Registry


@dataclass(frozen=True)
class OutgoingReferral:
    """One referral, as a connector needs it to hand it to the agency."""

    referral_id: int
    reference: str  # human-facing, e.g. "14051234567-1"; put it where replies can quote it
    tracking_code: str
    idempotency_key: str  # stable for the referral's whole life: send it on every attempt
    agreement_id: str
    fields: dict[str, Any]  # the agreement's field mapping applied to the request
    request: dict[str, Any]  # the whole normalised shared-schema request document
    deadlines: dict[str, datetime] = field(default_factory=dict)  # "view"/"act"/"result" → UTC
    attempt: int = 1


@dataclass(frozen=True)
class Receipt:
    """What the agency gave back for a push: at least its own id for the case."""

    referral_id: int
    external_id: str
    raw: Mapping[str, Any] = field(default_factory=dict)


class UpdateKind(StrEnum):
    STATUS = "status"  # the agency reports a status (and maybe a result text)
    BOUNCE = "bounce"  # the referral never reached the agency (e.g. a mail bounce)
    UNMATCHED = "unmatched"  # something arrived that matches no referral: kept for triage


@dataclass(frozen=True)
class AgencyUpdate:
    """One thing the agency said about one referral."""

    update_id: str  # unique per agreement: the same update seen twice is applied once
    kind: UpdateKind = UpdateKind.STATUS
    external_id: str | None = None  # the agency's id, as in the Receipt
    referral_reference: str | None = None  # or the hub's reference, when that is what came back
    status: str | None = None  # the agency's own status code, untouched
    result: str | None = None  # the agency's answer to the citizen, when it has one
    occurred_at: datetime | None = None
    note: str | None = None  # why an update is unmatched / a bounce's reason
    raw: Mapping[str, Any] = field(default_factory=dict)


class ReminderKind(StrEnum):
    DEADLINE = "deadline"  # a deadline of the referral is near, or missed
    REOPENED = "reopened"  # the citizen reopened the result: the case runs again, new deadlines


@dataclass(frozen=True)
class Reminder:
    """Something the hub tells the agency about a case its system already holds."""

    key: str  # unique, and the same on every retry: send it where the agency deduplicates
    kind: ReminderKind
    external_id: str  # the agency's id for the case, as in the push's Receipt
    subject: str  # Persian, for people
    body: str  # Persian, due times in Jalali
    deadline: str | None = None  # "view", "act" or "result": the deadline reminded of
    due_at: datetime | None = None  # UTC: when that deadline falls (or fell)
    late_seconds: int = 0  # working time already past due_at


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str
    problems: tuple[str, ...] = ()  # each a sentence naming what does not match


@dataclass(frozen=True)
class ConnectorContext:
    """What a connector may know of the agreement it serves."""

    agreement_id: str
    mapping: Mapping[str, Any]  # target field path → source expression, as in the agreement
    status_map: Mapping[str, str]  # agency status → hub state name
    config_dir: Path  # the agreements' config root (e.g. for config/wsdl/…)
    cache_dir: Path  # a writable directory for caches (WSDL documents …)


class Connector(ABC):
    """Base class of every connector type."""

    kind: ClassVar[str]
    settings_schema: ClassVar[dict[str, Any]]

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        self.settings = settings
        self.context = context

    @abstractmethod
    def push(self, referral: OutgoingReferral) -> Receipt: ...

    @abstractmethod
    def poll(self, receipts: Sequence[Receipt]) -> list[AgencyUpdate]: ...

    @abstractmethod
    def check(self) -> Health: ...

    def acknowledge(self, updates: Sequence[AgencyUpdate]) -> None:  # noqa: B027 - optional
        """Called after these updates from ``poll`` were stored durably by the core.

        A connector whose source must not lose messages (a mailbox) flags or moves them here, and
        only here: nothing may be deleted before the hub has stored it.
        """

    def can_remind(self) -> bool:
        """Can the agency's system carry a :class:`Reminder`? Only then does the hub call
        ``remind``; otherwise it writes to the agency's contacts by email."""
        return False

    def remind(self, referral: OutgoingReferral, reminder: Reminder) -> None:
        """Tell the agency's system about a case it holds (``reminder.external_id``).

        Idempotent on ``reminder.key``; errors as for ``push`` (transient ones are retried).
        """
        raise ConnectorError(f"a {self.kind} connector cannot carry reminders", permanent=True)

    def can_find(self) -> bool:
        """Can the agency's system be asked for a case by our reference? Only then may an
        agreement say ``delivery.idempotency: lookup``, and only then does the hub call ``find``."""
        return False

    def find(self, referral: OutgoingReferral) -> Receipt | None:
        """The case the agency holds for ``referral`` (found by its reference, idempotency key or
        tracking code), or None when it holds none. Asked after a push whose answer was unclear,
        before any re-push; errors as for ``push``. Must not create anything."""
        raise ConnectorError(f"a {self.kind} connector cannot look cases up", permanent=True)

    def close(self) -> None:  # noqa: B027 - optional hook, nothing to release by default
        """Release sockets and clients; called when the agreement is reloaded."""


def _keeps_the_contract(connector_type: type[Connector], kind: str) -> None:
    if not isinstance(getattr(connector_type, "settings_schema", None), dict):
        raise PluginError(f"connector {kind!r} has no settings_schema")


class ConnectorRegistry(Registry[type[Connector]]):
    """Connector types by ``kind``, filled by the ``hub_register_connectors`` hook."""

    def __init__(self) -> None:
        super().__init__("connector of type", "kind", _keeps_the_contract)

    def kinds(self) -> list[str]:
        return self.names()
