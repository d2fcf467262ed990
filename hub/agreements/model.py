"""An agreement as the rest of the hub reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.core.states import Outcome, ReferralState


class Idempotency(StrEnum):
    """``delivery.idempotency``: how the agency de-duplicates a referral pushed twice."""

    HEADER = "header"  # it honours the Idempotency-Key the connector sends (REST, e-mail)
    FIELD = "field"  # our key or reference is a body field it keeps unique (SOAP)
    LOOKUP = "lookup"  # it cannot, but a case can be found by our reference before a re-push
    NONE = "none"  # it cannot: an unclear answer waits for a person, never re-pushed by itself

    @property
    def repush_is_safe(self) -> bool:
        return self in (Idempotency.HEADER, Idempotency.FIELD)


@dataclass(frozen=True)
class Route:
    categories: tuple[str, ...]
    counties: tuple[str, ...] = ()


@dataclass(frozen=True)
class Agreement:
    id: str
    version: str  # content hash of the file: referrals record the version they were made under
    path: Path
    name_fa: str
    name_en: str
    priority: int
    routes: tuple[Route, ...]
    connector_type: str
    connector_settings: dict[str, Any]  # as written: secrets still ${env:NAME}
    mapping: dict[str, Any]
    status_map: dict[str, ReferralState]
    poll_interval_seconds: int
    poll_batch_size: int
    document: dict[str, Any] = field(repr=False)  # the whole validated file
    enabled: bool = True
    # Agency status → how a resolved case ended, for the statuses mapped to {state, outcome}.
    outcomes: dict[str, Outcome] = field(default_factory=dict)

    def __hash__(self) -> int:
        # An agreement is one version of one file: id and content hash say all.
        return hash((self.id, self.version))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Agreement):
            return NotImplemented
        return (self.id, self.version) == (other.id, other.version)

    def map_status(self, agency_status: str) -> ReferralState | None:
        return self.status_map.get(agency_status)

    def map_outcome(self, agency_status: str | None) -> Outcome:
        """How a case the agency reports resolved in ``agency_status`` ended; successful unless
        the status map says otherwise (a person's reading of a reply names no status)."""
        return self.outcomes.get(agency_status or "", Outcome.SUCCESSFUL)

    @property
    def delivery(self) -> dict[str, Any]:
        return dict(self.document.get("delivery", {}))

    @property
    def time_zone(self) -> ZoneInfo:
        """Where the agency's times without a zone are read (``time_zone``, default Tehran)."""
        return ZoneInfo(self.document.get("time_zone", "Asia/Tehran"))

    @property
    def idempotency(self) -> Idempotency:
        """How the agency keeps a re-pushed referral from becoming a second case."""
        return Idempotency(self.delivery.get("idempotency", Idempotency.NONE))

    @property
    def share_citizen(self) -> tuple[str, ...]:
        return tuple(self.document.get("share_citizen", ("first_name", "last_name", "mobile")))

    @property
    def shares_letters_with_citizen(self) -> bool:
        """``notifications.citizen.share_letters``: the citizen's look-up lists the agency's
        letters (the files of its replies) and serves them."""
        citizen = (self.document.get("notifications") or {}).get("citizen") or {}
        return bool(citizen.get("share_letters", False))
