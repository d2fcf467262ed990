"""TicketBox over HTTP: open a ticket (Idempotency-Key), read its status, say if it is up."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import httpx

from hub.core.errors import ConnectorError
from hub.plugins.connector import (
    AgencyUpdate,
    Connector,
    ConnectorContext,
    Health,
    OutgoingReferral,
    Receipt,
)


class TicketBoxConnector(Connector):
    kind = "ticketbox"
    settings_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "required": ["base_url"],
        "properties": {
            "base_url": {"type": "string", "format": "uri"},
            "timeout_seconds": {"type": "number", "exclusiveMinimum": 0, "default": 10},
        },
        "additionalProperties": False,
    }

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        # One client for every thread: httpx.Client is thread-safe; nothing per push on self.
        self._http = httpx.Client(
            base_url=settings["base_url"], timeout=settings.get("timeout_seconds", 10)
        )

    def push(self, referral: OutgoingReferral) -> Receipt:
        headers = {"Idempotency-Key": referral.idempotency_key}
        body = self._call("POST", "/api/v1/tickets", json=referral.fields, headers=headers)
        return Receipt(referral.referral_id, str(body["ticket"]["id"]), body)

    def poll(self, receipts: Sequence[Receipt]) -> list[AgencyUpdate]:
        updates = []
        for receipt in receipts:
            ticket = self._call("GET", f"/api/v1/tickets/{receipt.external_id}")["ticket"]
            last = ticket["events"][-1]
            updates.append(
                AgencyUpdate(
                    update_id=last["id"],
                    external_id=receipt.external_id,
                    status=ticket["status"],
                    result=ticket.get("resolution"),
                )
            )
        return updates

    def check(self) -> Health:
        try:
            self._call("GET", "/api/v1/health")
        except ConnectorError as exc:
            return Health(False, exc.message)
        return Health(True, "TicketBox answers")

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, **options: Any) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, **options)
        except httpx.HTTPError as exc:
            raise ConnectorError(f"TicketBox unreachable: {exc}") from exc
        if response.status_code >= 400:
            permanent = 400 <= response.status_code < 500 and response.status_code != 429
            raise ConnectorError(f"TicketBox answered {response.status_code}", permanent)
        try:
            body = response.json()
        except ValueError as exc:
            raise ConnectorError("TicketBox answered with something not JSON") from exc
        if not isinstance(body, dict):
            raise ConnectorError("TicketBox answered with JSON that is not an object")
        return body
