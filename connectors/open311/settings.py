"""The Open311 connector's settings, read from an agreement's ``connector.settings`` block.

``settings.schema.json`` beside this module is the one source of truth (agreements are validated
against it, and the defaults here are read from it); by the time a connector is built the core
has validated the block and resolved its ``${env:NAME}`` api_key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

SETTINGS_SCHEMA: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("settings.schema.json").read_text(encoding="utf-8")
)


def _default(*path: str) -> Any:
    """The schema's ``default`` for a key, e.g. ``_default("tokens", "attempts")``."""
    node = SETTINGS_SCHEMA
    for key in path:
        node = node["properties"][key]
    return node["default"]


@dataclass(frozen=True)
class Service:
    """The agency's service one of our categories goes to."""

    service_code: str
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Open311Settings:
    endpoint: str
    api_key: str
    services: Mapping[str, Service]
    format: str = _default("format")
    jurisdiction_id: str | None = None
    timeout_seconds: float = _default("timeout_seconds")
    batch_size: int = _default("batch_size")
    token_attempts: int = _default("tokens", "attempts")
    token_interval_seconds: float = _default("tokens", "interval_seconds")
    already_exists: re.Pattern[str] = re.compile(_default("already_exists", "description_pattern"))
    already_exists_id: re.Pattern[str] = re.compile(_default("already_exists", "id_pattern"))
    updates_lookback_seconds: int | None = None  # None: the server offers no updates

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> Open311Settings:
        tokens = settings.get("tokens", {})
        exists = settings.get("already_exists", {})
        updates = settings.get("updates")
        lookback = None
        if updates is not None and updates.get("enabled", True):
            lookback = int(updates.get("lookback_seconds", _default("updates", "lookback_seconds")))
        interval = cls.token_interval_seconds
        exists_pattern = _default("already_exists", "description_pattern")
        exists_id_pattern = _default("already_exists", "id_pattern")
        return cls(
            endpoint=str(settings["endpoint"]).rstrip("/"),
            api_key=str(settings["api_key"]),
            services={
                category: Service(entry["service_code"], dict(entry.get("attributes", {})))
                for category, entry in settings["services"].items()
            },
            format=settings.get("format", cls.format),
            jurisdiction_id=settings.get("jurisdiction_id"),
            timeout_seconds=float(settings.get("timeout_seconds", cls.timeout_seconds)),
            batch_size=int(settings.get("batch_size", cls.batch_size)),
            token_attempts=int(tokens.get("attempts", cls.token_attempts)),
            token_interval_seconds=float(tokens.get("interval_seconds", interval)),
            already_exists=re.compile(exists.get("description_pattern", exists_pattern)),
            already_exists_id=re.compile(exists.get("id_pattern", exists_id_pattern)),
            updates_lookback_seconds=lookback,
        )

    def service_for(self, category: str) -> Service | None:
        """The most specific entry of ``services`` for ``category``: itself, its nearest branch
        (``roads.*`` for ``roads.pothole``), else ``*``."""
        if category in self.services:
            return self.services[category]
        parts = category.split(".")
        for length in range(len(parts) - 1, 0, -1):
            branch = ".".join(parts[:length]) + ".*"
            if branch in self.services:
                return self.services[branch]
        return self.services.get("*")
