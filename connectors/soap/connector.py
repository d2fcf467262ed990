"""``SoapConnector``: push referrals into, and poll them from, an agency's SOAP service.

Everything agency-specific comes from the agreement's settings (``settings.schema.json``); the
parsed zeep client is shared per process (``clients.py``); every foreign error leaves as a
``ConnectorError`` (``faults.py``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, ClassVar

from connectors.soap import answers, checking, clients, finding, inputs, sessions, wsdl_check
from connectors.soap.clients import SoapClient
from connectors.soap.faults import agency_errors
from hub.core.errors import ConnectorError, ConnectorRefused, ConnectorUnconfirmed
from hub.plugins.connector import AgencyUpdate, Connector, Health, OutgoingReferral, Receipt

log = logging.getLogger(__name__)

SETTINGS_SCHEMA = json.loads(Path(__file__).with_name("settings.schema.json").read_text())
DEFAULT_BATCH_SIZE = 50


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SoapConnector(Connector):
    kind: ClassVar[str] = "soap"
    settings_schema: ClassVar[dict[str, Any]] = SETTINGS_SCHEMA

    @property
    def client(self) -> SoapClient:
        with agency_errors("loading the WSDL"):
            return clients.cached_client(self.settings, self.context)

    def push(self, referral: OutgoingReferral) -> Receipt:
        operation = self.settings["operations"]["push"]
        payload, headers = self._push_input(referral)
        expression = self.settings["push"]["external_id"]
        # A one-element answer comes back from zeep as that element's bare value.
        data = answers.addressed(expression, answers.plain(self._call(operation, payload, headers)))
        external_id = answers.read(expression, data)
        if external_id in (None, ""):
            # The agency answered the push: it may well have opened the case. Never "failed".
            raise ConnectorUnconfirmed(
                f"the agency's answer to {operation} has no case id at {expression!r}",
                {"answer": answers.as_mapping(data)},
            )
        raw = answers.as_mapping(data)
        if case_number := self.settings["push"].get("case_number"):
            raw = {**raw, "case_number": answers.read(case_number, data)}
        return Receipt(referral.referral_id, str(external_id), raw)

    def poll(self, receipts: Sequence[Receipt]) -> list[AgencyUpdate]:
        external_ids = [receipt.external_id for receipt in receipts]
        if self.settings["operations"].get("poll_batch") and "batch_field" in self.settings["poll"]:
            return self._poll_in_batches(external_ids)
        return self._poll_one_by_one(external_ids)

    def can_find(self) -> bool:
        return "find" in self.settings

    def find(self, referral: OutgoingReferral) -> Receipt | None:
        """The first case ``find.operation`` lists for our reference (``finding.py``), its
        clerks' number read by polling it when ``poll.case_number`` says where."""
        if not self.can_find():
            raise ConnectorRefused("the agreement names no find operation")
        found = finding.case_ids(self.settings, referral, self._call)
        if not found:
            return None
        external_id = found[0]
        raw: dict[str, Any] = {"found_by": "lookup", "cases_found": found}
        if case_number := self.settings["poll"].get("case_number"):
            polled = self.poll([Receipt(referral.referral_id, external_id)])
            reports = [u.raw for u in polled if u.external_id == external_id]
            raw["case_number"] = answers.read(case_number, reports[0]) if reports else None
        return Receipt(referral.referral_id, external_id, raw)

    def check(self) -> Health:
        try:
            with agency_errors("loading the WSDL"):
                client = clients.fresh_client(self.settings, self.context)
        except ConnectorError as exc:
            where = clients.wsdl_location(self.settings, self.context)
            return Health(False, f"the WSDL at {where} could not be used", (f"{exc.message}.",))
        mismatches = wsdl_check.problems(client, self.settings, self.context.mapping)
        verdict = checking.verify(client, self.settings, self._call)  # calls operations.check
        problems = (*mismatches, *verdict.problems)
        offered = ", ".join(sorted(client.binding.all()))
        matches = (
            f"{len(mismatches)} mismatch(es) with the mapping"
            if mismatches
            else "the mapping matches it"
        )
        return Health(
            not problems, f"the WSDL offers {offered}; {matches}; {verdict.detail}", problems
        )

    def close(self) -> None:
        """Nothing per instance: the parsed client is shared by the process on purpose."""

    def _push_input(self, referral: OutgoingReferral) -> tuple[dict[str, Any], dict[str, str]]:
        payload = dict(referral.fields)
        if reference_field := self.settings.get("reference_field"):
            payload = answers.with_value(payload, reference_field, referral.reference)
        idempotency = self.settings.get("idempotency", {})
        if "field" in idempotency:
            payload = answers.with_value(payload, idempotency["field"], referral.idempotency_key)
        headers = (
            {idempotency["header"]: referral.idempotency_key} if "header" in idempotency else {}
        )
        return inputs.expanded(payload), headers

    def _call(self, operation: str, payload: Mapping[str, Any], headers: dict[str, str]) -> Any:
        """One call, with the agreement's credentials in its body (``sessions.py``); an error
        the agency answers inside it raised as a refusal (``refusals.py``)."""
        return sessions.call(
            self.settings,
            operation,
            payload,
            lambda name, given: self._invoke(name, given, headers),
        )

    def _invoke(self, operation: str, payload: Mapping[str, Any], headers: dict[str, str]) -> Any:
        client = self.client
        if operation not in client.binding.all():
            raise ConnectorRefused(f"the agency's WSDL has no operation {operation!r}")
        extra_headers = (
            client.zeep.settings(extra_http_headers=headers) if headers else nullcontext()
        )
        with agency_errors(operation), extra_headers:
            return getattr(client.service, operation)(**payload)

    def _poll_in_batches(self, external_ids: Sequence[str]) -> list[AgencyUpdate]:
        poll = self.settings["poll"]
        operation = self.settings["operations"]["poll_batch"]
        updates = []
        for chunk in _chunks(external_ids, int(poll.get("batch_size", DEFAULT_BATCH_SIZE))):
            payload = {
                **poll.get("arguments", {}),
                **answers.nested(poll["batch_field"], list(chunk)),
            }
            data = answers.plain(self._call(operation, payload, {}))
            items = answers.read(poll.get("items", "@"), data) or []
            updates += [self._update(item) for item in answers.as_list(items)]
        return updates

    def _poll_one_by_one(self, external_ids: Sequence[str]) -> list[AgencyUpdate]:
        """A case the agency refuses to report on is skipped, so one bad id cannot stop polling
        for every other referral; transient failures stop the sweep, to be retried whole."""
        operation = self.settings["operations"]["poll"]
        poll = self.settings["poll"]
        updates, refused = [], []
        for external_id in external_ids:
            try:
                payload = {**poll.get("arguments", {}), poll["case_field"]: external_id}
                answer = self._call(operation, payload, {})
            except ConnectorError as exc:
                if not exc.permanent:
                    raise
                log.warning(
                    "%s: %s refused case %s: %s",
                    self.context.agreement_id,
                    operation,
                    external_id,
                    exc,
                )
                refused.append(exc)
                continue
            updates.append(self._update(answers.plain(answer), external_id))
        if refused and not updates:
            raise refused[0]
        return updates

    def _update(self, item: Any, asked_for: str | None = None) -> AgencyUpdate:
        poll = self.settings["poll"]
        external_id = answers.read(poll["external_id"], item) or asked_for
        status = answers.read(poll["status"], item)
        changed_at = answers.read(poll["changed_at"], item) if "changed_at" in poll else None
        result = answers.read(poll["result"], item) if "result" in poll else None
        # Stable per (case, status, time): the same report polled twice is applied once.
        update_id = f"{external_id}|{status}|{changed_at or ''}"
        return AgencyUpdate(
            update_id=update_id,
            external_id=None if external_id is None else str(external_id),
            status=None if status is None else str(status),
            result=None if result in (None, "") else str(result),
            occurred_at=answers.as_datetime(changed_at),
            raw=answers.as_mapping(item),
        )
