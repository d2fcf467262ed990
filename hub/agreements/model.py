"""An agreement as the rest of the hub reads it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.core.states import ReferralState


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

    def __hash__(self) -> int:
        # An agreement is one version of one file: id and content hash say all.
        return hash((self.id, self.version))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Agreement):
            return NotImplemented
        return (self.id, self.version) == (other.id, other.version)

    def map_status(self, agency_status: str) -> ReferralState | None:
        return self.status_map.get(agency_status)

    @property
    def delivery(self) -> dict[str, Any]:
        return dict(self.document.get("delivery", {}))

    @property
    def share_citizen(self) -> tuple[str, ...]:
        return tuple(self.document.get("share_citizen", ("first_name", "last_name", "mobile")))
