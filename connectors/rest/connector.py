"""The REST connector: pushes referrals to an agency's JSON API and polls it for progress.

Where the settings name a ``remind`` endpoint it also carries reminders (a deadline near or
missed, a case reopened) to the agency's API. Everything about the agency's API — paths,
credentials, where ids and statuses sit in its JSON —
comes from the agreement's settings (``settings.schema.json``), so onboarding another REST agency
is a YAML file, not code. One HTTP client per connector, reused for every call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
import jmespath

from connectors.rest import checking
from connectors.rest.errors import (
    json_of,
    raise_for_answer,
    translated_transport_errors,
    unreadable_answer,
)
from connectors.rest.reminders import reminder_body
from connectors.rest.settings import SETTINGS_SCHEMA, RestSettings
from connectors.rest.updates import Expressions, MissingField, read_update
from hub.core.errors import ConnectorError
from hub.core.http import make_client
from hub.plugins.connector import (
    AgencyUpdate,
    Connector,
    ConnectorContext,
    Health,
    OutgoingReferral,
    Receipt,
    Reminder,
)


class RestConnector(Connector):
    kind: ClassVar[str] = "rest"
    settings_schema: ClassVar[dict[str, Any]] = SETTINGS_SCHEMA

    def __init__(self, settings: Mapping[str, Any], context: ConnectorContext) -> None:
        super().__init__(settings, context)
        self.rest = RestSettings.from_mapping(settings)
        self._push_external_id = jmespath.compile(self.rest.push.external_id)
        self._expressions = Expressions.compile(self.rest.poll)
        headers, auth = self.rest.credentials()
        self._client = make_client(
            timeout=httpx.Timeout(self.rest.timeout_seconds),
            headers={"Accept": "application/json", **self.rest.headers, **headers},
            auth=auth,
            base_url=self.rest.base_url,
        )
        self._urls: dict[str, httpx.URL] = {}

    def push(self, referral: OutgoingReferral) -> Receipt:
        push = self.rest.push
        response = self._call(
            push.method,
            push.path,
            json=referral.fields,
            headers={push.idempotency_header: referral.idempotency_key},
        )
        body = json_of(response)
        external_id = self._push_external_id.search(body)
        if external_id is None or external_id == "":
            raise unreadable_answer(response, f"the case id ({push.external_id})")
        raw = body if isinstance(body, Mapping) else {"body": body}
        return Receipt(referral.referral_id, str(external_id), raw)

    def poll(self, receipts: Sequence[Receipt]) -> list[AgencyUpdate]:
        ids = [receipt.external_id for receipt in receipts]
        batch_path, size = self.rest.poll.batch_path, self.rest.poll.batch_size
        if batch_path is None:
            return [update for external_id in ids for update in self._poll_one(external_id)]
        chunks = (ids[at : at + size] for at in range(0, len(ids), size))
        return [update for chunk in chunks for update in self._poll_batch(batch_path, chunk)]

    def check(self) -> Health:
        """One GET with our credentials that tells them refused from a wrong path
        (``checking.py``)."""
        return checking.check(self._client, self.rest, self.context.status_map, self._read)

    def can_remind(self) -> bool:
        return self.rest.remind is not None

    def remind(self, referral: OutgoingReferral, reminder: Reminder) -> None:
        if self.rest.remind is None:
            raise ConnectorError("the agreement names no remind endpoint", permanent=True)
        path = self.rest.remind.path.replace("{external_id}", quote(reminder.external_id, safe=""))
        self._call(
            self.rest.remind.method,
            path,
            json=reminder_body(referral, reminder),
            headers={self.rest.push.idempotency_header: reminder.key},
        )

    def can_find(self) -> bool:
        return self.rest.find is not None

    def find(self, referral: OutgoingReferral) -> Receipt | None:
        """GET the agreement's ``find.path`` with our reference in it: the first case found."""
        find = self.rest.find
        if find is None:
            raise ConnectorError("the agreement names no find endpoint", permanent=True)
        values = {
            "reference": referral.reference,
            "idempotency_key": referral.idempotency_key,
            "tracking_code": referral.tracking_code,
        }
        path = find.path
        for name, value in values.items():
            path = path.replace("{" + name + "}", quote(value, safe=""))
        response = self._call("GET", path)
        found = jmespath.search(find.items, json_of(response))
        if found in (None, []):
            return None
        cases = found if isinstance(found, list) else [found]
        external_id = jmespath.search(find.external_id, cases[0])
        if external_id in (None, ""):
            raise unreadable_answer(response, f"a case id at {find.external_id!r}")
        raw = cases[0] if isinstance(cases[0], Mapping) else {"case": cases[0]}
        return Receipt(referral.referral_id, str(external_id), {**raw, "found_by": "lookup"})

    def close(self) -> None:
        self._client.close()

    def _poll_one(self, external_id: str) -> list[AgencyUpdate]:
        path = self.rest.poll.path.replace("{external_id}", quote(external_id, safe=""))
        response = self._call("GET", path)
        return [self._read(response, json_of(response))]

    def _poll_batch(self, batch_path: str, ids: list[str]) -> list[AgencyUpdate]:
        poll = self.rest.poll
        response = self._call("POST", batch_path, json={poll.batch_ids_field: ids})
        cases = self._expressions.items.search(json_of(response))
        if not isinstance(cases, list):
            raise unreadable_answer(response, f"a list of cases ({poll.items})")
        return [self._read(response, case) for case in cases]

    def _read(self, response: httpx.Response, case: Any) -> AgencyUpdate:
        try:
            return read_update(case, self._expressions)
        except MissingField as exc:
            raise unreadable_answer(response, str(exc)) from exc

    def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        url = self._absolute(path)
        with translated_transport_errors(method, str(url)):
            response = self._client.request(method, url, **kwargs)
        raise_for_answer(response)
        return response

    def _absolute(self, path: str) -> httpx.URL:
        """The path under base_url, parsed once: httpx parses a relative path merged with its
        base_url again on every call — a tenth of a worker's CPU in the delivery benchmark."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= 1024:  # single-case poll paths differ per case
                self._urls.clear()
            url = self._urls[path] = httpx.URL(self._url(path))
        return url

    def _url(self, path: str) -> str:
        # As httpx merges them: the path goes under base_url, even with a leading slash.
        return str(self._client.base_url).rstrip("/") + "/" + path.lstrip("/")
