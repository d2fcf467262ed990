"""TicketBox done wrong, on purpose: each method breaks one promise of the contract."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from hub.plugins.connector import (
    AgencyUpdate,
    Connector,
    ConnectorContext,
    Health,
    OutgoingReferral,
    Receipt,
)


class BrokenConnector(Connector):
    kind = "broken"
    settings_schema: ClassVar[dict[str, Any]] = {"type": "object"}

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self._http = httpx.Client(base_url=settings["base_url"], timeout=5)
        self._current: OutgoingReferral | None = None

    def push(self, referral: OutgoingReferral) -> Receipt:
        self._current = referral  # per-push state on self: threads overwrite each other's
        response = self._http.post("/api/v1/tickets", json=referral.fields)  # no idempotency key
        response.raise_for_status()  # httpx's own error escapes: not a ConnectorError
        time.sleep(0.01)
        assert self._current is not None
        return Receipt(self._current.referral_id, response.json()["ticket"]["id"])

    def poll(self, receipts: Sequence[Receipt]) -> list[AgencyUpdate]:
        updates = []
        for receipt in receipts:
            response = self._http.get(f"/api/v1/tickets/{receipt.external_id}")
            response.raise_for_status()
            ticket = response.json()["ticket"]
            updates.append(
                AgencyUpdate(
                    update_id=f"{receipt.external_id}-{time.monotonic_ns()}",  # new on every poll
                    external_id=receipt.external_id,
                    status=ticket["status"].lower(),  # "translated": no longer the agency's own
                )
            )
        return updates

    def check(self) -> Health:
        return Health(True, "never asked")

    def close(self) -> None:
        self._http.close()
