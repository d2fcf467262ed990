"""The Open311 connector: refers requests to an agency system that speaks GeoReport v2.

``push`` files a request with ``POST requests`` (form-encoded, as the spec says) and follows a
``token`` answer to its ``service_request_id`` (``GET tokens/{token}``); a server that says it
already holds the request (``already_exists``) answers a push as well as a new id does. ``poll``
asks ``GET requests?service_request_id=a,b,c`` a batch at a time, and reads mySociety's
``servicerequestupdates`` where the server offers them. ``check`` compares the agency's
``services`` list with the agreement (``checking.py``). Everything about the agency — endpoint,
``jurisdiction_id``, api_key, the service of each category — comes from the agreement's settings
(``settings.schema.json``). One HTTP client per connector, reused for every call.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import quote, urlencode

import httpx

from connectors.open311 import checking, documents
from connectors.open311.errors import refusal, said_errors, unreadable
from connectors.open311.form import request_form
from connectors.open311.settings import SETTINGS_SCHEMA, Open311Settings
from connectors.open311.updates import MissingField, from_request, from_request_update
from connectors.rest.errors import translated_transport_errors
from hub.core.errors import ConnectorError, ConnectorUnconfirmed
from hub.core.http import make_client
from hub.plugins.connector import (
    AgencyUpdate,
    Connector,
    ConnectorContext,
    Health,
    OutgoingReferral,
    Receipt,
)

ReadItem = Callable[[Mapping[str, Any], str], AgencyUpdate]
TOKEN_PREFIX = "token:"  # a Receipt whose token the server had not yet turned into an id
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


class Open311Connector(Connector):
    kind: ClassVar[str] = "open311"
    settings_schema: ClassVar[dict[str, Any]] = SETTINGS_SCHEMA

    def __init__(
        self,
        settings: Mapping[str, Any],
        context: ConnectorContext,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(settings, context)
        self.open311 = Open311Settings.from_mapping(settings)
        self._client = make_client(
            timeout=httpx.Timeout(self.open311.timeout_seconds),
            headers={"Accept": f"application/{self.open311.format}"},
            transport=transport,
        )
        self._ids_of_tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    def push(self, referral: OutgoingReferral) -> Receipt:
        form = urlencode(request_form(self.open311, referral))  # repeated keys kept, in order
        response = self._send("POST", "requests", content=form, headers=FORM)
        if not response.is_success or said_errors(response, self.open311.format):
            return self._already_held(referral, response)  # some servers say errors with a 200
        request = self._first_request(response)
        raw = {**request, "format": self.open311.format}
        if service_request_id := _text(request.get("service_request_id")):
            return Receipt(referral.referral_id, service_request_id, raw)
        if token := _text(request.get("token")):
            found = self._id_of_token(token, self.open311.token_attempts)
            return Receipt(referral.referral_id, found or TOKEN_PREFIX + token, raw)
        raise unreadable(response, "a service_request_id or a token")

    def poll(self, receipts: Sequence[Receipt]) -> list[AgencyUpdate]:
        ours: dict[str, str] = {}  # service_request_id → the Receipt's external_id
        for receipt in receipts:
            external_id = receipt.external_id
            if external_id.startswith(TOKEN_PREFIX):
                found = self._id_of_token(external_id.removeprefix(TOKEN_PREFIX), 1)
                if found is None:
                    continue  # not yet an id at the agency: nothing to ask about
                ours[found] = external_id
            else:
                ours[external_id] = external_id
        wants_updates = bool(ours) and self.open311.updates_lookback_seconds is not None
        updates = self._request_updates(ours) if wants_updates else []
        ids, size = list(ours), self.open311.batch_size
        for at in range(0, len(ids), size):
            updates.extend(self._poll_batch(ids[at : at + size], ours))
        return updates

    def check(self) -> Health:
        """The agency's ``services`` against the agreement (``checking.py``)."""
        return checking.check(self.open311, self.context.mapping, self._get_document)

    def close(self) -> None:
        self._client.close()

    def _poll_batch(self, ids: list[str], ours: Mapping[str, str]) -> list[AgencyUpdate]:
        params = {"service_request_id": ",".join(ids)}
        response = self._ok(self._send("GET", "requests", params=params))
        found = []
        for request in self._list(response, "service_requests"):
            service_request_id = _text(request.get("service_request_id"))
            if service_request_id in ours:
                found.append(self._read(response, from_request, request, ours))
        return found

    def _request_updates(self, ours: Mapping[str, str]) -> list[AgencyUpdate]:
        now = datetime.now(UTC)
        since = now - timedelta(seconds=self.open311.updates_lookback_seconds or 0)
        params = {"start_date": _w3(since)}  # no end_date: the server's clock may run ahead
        response = self._ok(self._send("GET", "servicerequestupdates", params=params))
        found = [
            self._read(response, from_request_update, update, ours)
            for update in self._list(response, "service_request_updates")
            if _text(update.get("service_request_id")) in ours
        ]
        return sorted(found, key=lambda u: u.occurred_at or now)

    def _read(
        self,
        response: httpx.Response,
        read: ReadItem,
        item: Mapping[str, Any],
        ours: Mapping[str, str],
    ) -> AgencyUpdate:
        try:
            return read(item, ours[str(item["service_request_id"])])
        except MissingField as exc:
            raise unreadable(response, str(exc)) from exc

    def _already_held(self, referral: OutgoingReferral, response: httpx.Response) -> Receipt:
        """A refusal — unless the server says it already holds this request: then its id."""
        said = said_errors(response, self.open311.format)
        for code, description in said:
            if self.open311.already_exists.search(description):
                match = self.open311.already_exists_id.search(description)
                raw = {"already_exists": True, "code": code, "description": description}
                if match:
                    return Receipt(referral.referral_id, match.group(1), raw)
                raise ConnectorUnconfirmed(
                    f"{response.request.method} {response.request.url} says the request already "
                    f"exists but names no service_request_id ({description!r}) — check "
                    "connector.settings.already_exists.id_pattern",
                    raw,
                )
        raise refusal(response, said)

    def _id_of_token(self, token: str, attempts: int) -> str | None:
        """The service_request_id the server gave ``token``, or None while it has none."""
        with self._lock:
            if token in self._ids_of_tokens:
                return self._ids_of_tokens[token]
        for attempt in range(attempts):
            if attempt:
                time.sleep(self.open311.token_interval_seconds)
            try:
                response = self._send("GET", f"tokens/{quote(token, safe='')}")
                if not response.is_success:
                    continue  # 404 until the server has made the request: ask again later
                request = self._first_request(response)
            except ConnectorError:
                continue  # the request was accepted: its id can wait for the next poll
            if found := _text(request.get("service_request_id")):
                with self._lock:
                    self._ids_of_tokens[token] = found
                return found
        return None

    def _first_request(self, response: httpx.Response) -> Mapping[str, Any]:
        requests = self._list(response, "service_requests")
        if not requests or not isinstance(requests[0], Mapping):
            raise unreadable(response, "a request in its service_requests")
        return requests[0]

    def _list(self, response: httpx.Response, root: str) -> list[Any]:
        try:
            found = documents.items(documents.read(response.content, self.open311.format), root)
        except documents.Unreadable as exc:
            raise unreadable(response, f"a {root} list ({exc})") from exc
        return [item for item in found if isinstance(item, Mapping)]

    def _get_document(self, path: str) -> Any:
        """GET ``path`` (no suffix) and its document; errors as ConnectorError."""
        response = self._ok(self._send("GET", path))
        try:
            return documents.read(response.content, self.open311.format)
        except documents.Unreadable as exc:
            raise unreadable(response, f"a document ({exc})") from exc

    def _ok(self, response: httpx.Response) -> httpx.Response:
        if not response.is_success:
            raise refusal(response, said_errors(response, self.open311.format))
        return response

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = f"{self.open311.endpoint}/{path}.{self.open311.format}"
        params = dict(kwargs.pop("params", {}))
        if self.open311.jurisdiction_id and method == "GET":  # a POST has it in its form
            params.setdefault("jurisdiction_id", self.open311.jurisdiction_id)
        with translated_transport_errors(method, url):
            return self._client.request(method, url, params=params, **kwargs)


def _text(value: Any) -> str | None:
    if value is None or value == "" or isinstance(value, dict | list):
        return None
    return str(value)


def _w3(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
