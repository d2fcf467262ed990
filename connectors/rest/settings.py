"""The REST connector's settings, read from an agreement's ``connector.settings`` block.

The JSON Schema next to this module (``settings.schema.json``) is the one source of truth: it is
what agreements are validated against, and the defaults below are read from it rather than
restated. By the time a connector is built the core has validated the block and resolved its
``${env:NAME}`` secrets, so this module only gives it typed, named shape.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import httpx

SETTINGS_SCHEMA: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("settings.schema.json").read_text(encoding="utf-8")
)


def _default(*path: str) -> Any:
    """The schema's ``default`` for a key, e.g. ``_default("poll", "batch_size")``."""
    node = SETTINGS_SCHEMA
    for key in path:
        node = node["properties"][key]
    return node["default"]


@dataclass(frozen=True)
class PushSettings:
    path: str
    external_id: str
    method: str = _default("push", "method")
    idempotency_header: str = _default("push", "idempotency_header")


@dataclass(frozen=True)
class PollSettings:
    path: str
    external_id: str
    status: str
    batch_path: str | None = None
    batch_ids_field: str = _default("poll", "batch_ids_field")
    batch_size: int = _default("poll", "batch_size")
    items: str = _default("poll", "items")
    result: str | None = None
    updated_at: str | None = None
    update_id: str | None = None


@dataclass(frozen=True)
class FindSettings:
    path: str
    external_id: str
    items: str = _default("find", "items")


@dataclass(frozen=True)
class RemindSettings:
    path: str
    method: str = _default("remind", "method")


@dataclass(frozen=True)
class CheckSettings:
    """``check``: the GET that proves our credentials — ``path``, or a known test case's
    ``external_id`` asked for at ``poll.path`` (see ``checking.py``)."""

    path: str | None = None
    external_id: str | None = None
    expect_status: int | None = None  # None: any 2xx


@dataclass(frozen=True)
class RestSettings:
    base_url: str
    push: PushSettings
    poll: PollSettings
    timeout_seconds: float = _default("timeout_seconds")
    headers: Mapping[str, str] = field(default_factory=dict)
    auth: Mapping[str, str] = field(default_factory=lambda: dict(_default("auth")))
    check_path: str | None = None
    remind: RemindSettings | None = None
    find: FindSettings | None = None
    check: CheckSettings | None = None

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> RestSettings:
        given = dict(settings)
        return cls(
            **{
                **given,
                "push": PushSettings(**given["push"]),
                "poll": PollSettings(**given["poll"]),
                "remind": RemindSettings(**given["remind"]) if "remind" in given else None,
                "find": FindSettings(**given["find"]) if "find" in given else None,
                "check": CheckSettings(**given["check"]) if "check" in given else None,
            }
        )

    def credentials(self) -> tuple[dict[str, str], httpx.Auth | None]:
        """Headers and httpx auth that carry the agreement's credentials on every call."""
        kind = self.auth.get("type", "none")
        if kind == "bearer":
            return {"Authorization": f"Bearer {self.auth['token']}"}, None
        if kind == "basic":
            return {}, httpx.BasicAuth(self.auth["username"], self.auth["password"])
        if kind == "api_key":
            return {self.auth["header"]: self.auth["token"]}, None
        return {}, None
