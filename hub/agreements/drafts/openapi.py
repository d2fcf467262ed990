"""Reading an agency's OpenAPI description (3.x, or Swagger 2) for a REST agreement draft.

The document, JSON or YAML, is read with the standard library and PyYAML, its schemas by
``schemas.py`` (local ``$ref``s followed where they are met), its answers by ``responses.py``,
its security schemes by ``security.py``. The push operation is the one ``--operation`` names (an
operationId) or the first POST. The other operations are read for the poll (a GET of one case,
``{id}`` in its path, under the push path first), the batch poll (a POST taking a list of ids),
a health check and a reminders endpoint. The settings it writes are the rest connector's (its
``settings.schema.json``); the tests validate each draft against that schema, so a renamed key
is caught there.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import yaml

from hub.agreements.drafts.commented import Block
from hub.agreements.drafts.description import (
    AgencyDescription,
    DescriptionError,
    InputField,
    StatusValue,
    UnknownOperation,
)
from hub.agreements.drafts.guesses import guess_input, word_set, words
from hub.agreements.drafts.responses import Leaf, ResponseShape, shape
from hub.agreements.drafts.schemas import Schemas
from hub.agreements.drafts.security import auth_block
from hub.agreements.drafts.sources import fetch, is_url

METHODS = ("post", "put", "get", "patch", "delete")
HEALTH_WORDS = word_set("health healthz ping alive ready heartbeat status")
BATCH_WORDS = word_set("batch bulk statuses status query search many")
IDEMPOTENCY_HEADERS = word_set("idempotency-key x-idempotency-key x-request-id request-id")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec.get("operationId") or f"{self.method.upper()} {self.path}")

    def path_params(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]


def describe(location: str, operation: str | None = None) -> AgencyDescription:
    """The OpenAPI document at ``location`` (a URL or a file) read around push ``operation``."""
    return Document(_parse(fetch(location, "OpenAPI description"), location), location).read(
        operation
    )


def _parse(content: bytes, location: str) -> dict[str, Any]:
    try:
        doc = json.loads(content)
    except ValueError:
        try:
            doc = yaml.safe_load(content)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" (line {mark.line + 1})" if mark is not None else ""
            raise DescriptionError(f"{location} is neither JSON nor YAML{where}") from exc
    if not isinstance(doc, dict) or not ("openapi" in doc or "swagger" in doc):
        raise DescriptionError(f"{location} is not an OpenAPI description (no openapi: key)")
    return doc


class Document:
    """One OpenAPI document; each method reads one part of it."""

    def __init__(self, doc: dict[str, Any], location: str) -> None:
        self.doc = doc
        self.schemas = Schemas(doc)
        self.location = location
        self.operations = list(self._operations())
        self.service = str(doc.get("info", {}).get("title") or "the agency's API")

    def read(self, wanted: str | None) -> AgencyDescription:
        push = self._push(wanted)
        fields = self.schemas.fields(self._body(push))
        notes = [] if fields else [f"{push.name} shows no JSON body: write the mapping by hand"]
        settings, statuses, statuses_from = self._settings(push)
        return AgencyDescription(
            connector_type="rest",
            source=self.location,
            service=self.service,
            operation=push.name,
            fields=tuple(fields),
            settings=settings,
            summary=" ".join(str(self.doc.get("info", {}).get("description", "")).split()),
            statuses=statuses,
            statuses_from=statuses_from,
            idempotency=self._idempotency_hint(push, fields),
            notes=tuple(notes),
        )

    # --- operations -----------------------------------------------------------------------

    def _operations(self) -> Iterator[Operation]:
        for path, item in self.doc.get("paths", {}).items():
            item = self.schemas.deref(item)
            for method in METHODS:
                if isinstance(item.get(method), dict):
                    yield Operation(method, str(path), item[method])

    def _push(self, wanted: str | None) -> Operation:
        if wanted is not None:
            for operation in self.operations:
                if wanted in (operation.spec.get("operationId"), operation.name):
                    if operation.method not in ("post", "put"):
                        raise UnknownOperation(
                            f"{wanted} is a {operation.method.upper()}: the REST connector "
                            "pushes with POST or PUT"
                        )
                    return operation
            ids = ", ".join(o.name for o in self.operations if o.method in ("post", "put"))
            raise UnknownOperation(
                f"the description has no operationId {wanted!r}; its POST/PUT operations: "
                f"{ids or 'none'}"
            )
        for operation in self.operations:
            if operation.method == "post":
                return operation
        raise UnknownOperation("the description has no POST operation to push referrals with")

    def _body(self, operation: Operation) -> dict[str, Any]:
        body = self.schemas.deref(operation.spec.get("requestBody"))
        for media, content in body.get("content", {}).items():
            if "json" in media:
                return self.schemas.deref(content.get("schema"))
        for parameter in operation.spec.get("parameters", []):  # Swagger 2
            parameter = self.schemas.deref(parameter)
            if parameter.get("in") == "body":
                return self.schemas.deref(parameter.get("schema"))
        return {}

    def _answer(self, operation: Operation) -> ResponseShape:
        responses = operation.spec.get("responses", {})
        for code in sorted(str(code) for code in responses):
            if not code.startswith("2"):
                continue
            response = self.schemas.deref(responses.get(code) or responses.get(int(code)))
            schema = response.get("schema")  # Swagger 2
            for media, content in response.get("content", {}).items():
                if "json" in media:
                    schema = content.get("schema")
            if self.schemas.deref(schema):
                return shape(self.schemas, self.schemas.deref(schema))
        return ResponseShape([])

    # --- the settings ---------------------------------------------------------------------

    def _settings(self, push: Operation) -> tuple[Block, tuple[StatusValue, ...], str]:
        settings = Block()
        settings.add("base_url", *self._base_url())
        settings.add("timeout_seconds", 10)
        auth, note = auth_block(self.doc, push.spec, self.service)
        settings.add("auth", auth, note, flow=True)
        settings.add("push", self._push_settings(push))
        poll, statuses, statuses_from = self._poll_settings(push)
        settings.add("poll", poll)
        check = self._check_path()
        if check:
            settings.add("check_path", check, "guessed: the health endpoint")
        else:
            settings.comment("check_path: TODO  # a health endpoint; absent: base_url itself")
        remind = self._find(
            "post", lambda o: "remind" in o.path.lower() and len(o.path_params()) == 1
        )
        if remind is not None:
            block = Block().add("path", _external_id_path(remind)).add("method", "POST")
            settings.add("remind", block, "guessed: reminders about a case", flow=True)
        return settings, statuses, statuses_from

    def _base_url(self) -> tuple[str, str]:
        servers = self.doc.get("servers") or []
        url = ""
        if servers and isinstance(servers[0], dict):
            url = str(servers[0].get("url", ""))
            for name, variable in servers[0].get("variables", {}).items():
                url = url.replace(f"{{{name}}}", str(variable.get("default", "")))
        elif "host" in self.doc:  # Swagger 2
            scheme = (self.doc.get("schemes") or ["https"])[0]
            url = f"{scheme}://{self.doc['host']}{self.doc.get('basePath', '')}"
        if is_url(self.location):
            base = urljoin(self.location, url) if url else _origin(self.location)
            return base.rstrip("/") or base, "from the description's servers / its address"
        if url.startswith(("http://", "https://")):
            return url.rstrip("/"), "the description's first server"
        return "TODO", "the agency's API root, e.g. https://crm.agency.example — نشانی سامانه"

    def _push_settings(self, push: Operation) -> Block:
        block = Block().add("method", push.method.upper()).add("path", push.path)
        header = self._idempotency_header(push)
        if header:
            block.add("idempotency_header", header, "the description takes this header")
        else:
            block.comment("idempotency_header: Idempotency-Key  # the default the connector sends")
        found = self._answer(push)
        block.add("external_id", *_case_id(push, found))
        return block

    def _idempotency_header(self, push: Operation) -> str | None:
        for parameter in push.spec.get("parameters", []):
            parameter = self.schemas.deref(parameter)
            name = str(parameter.get("name", ""))
            if parameter.get("in") == "header" and name.lower() in IDEMPOTENCY_HEADERS:
                return name
        return None

    def _poll_settings(self, push: Operation) -> tuple[Block, tuple[StatusValue, ...], str]:
        block = Block()
        poll = self._poll_operation(push)
        if poll is None:
            block.add("path", "TODO/{external_id}", "no GET of one case found — مسیر استعلام")
            found = ResponseShape([])
        else:
            block.add("path", _external_id_path(poll), f"guessed: {poll.name}")
            found = self._answer(poll)
        self._batch_settings(block, push)
        for key, role in (("external_id", "external_id"), ("status", "status")):
            leaf = found.role(role)
            note = f"guessed, in {poll.name}'s answer" if leaf and poll else "where is it? — کجاست؟"
            block.add(key, leaf.path if leaf else "TODO", note)
        for key, role in (("result", "result"), ("updated_at", "changed_at")):
            leaf = found.role(role)
            if leaf is not None:
                block.add(key, leaf.path, "guessed")
            else:
                block.comment(f"{key}: TODO  # not found in the poll's answer")
        status = found.role("status") or self._answer(push).role("status")
        return block, *_statuses(status, poll.name if poll else push.name)

    def _poll_operation(self, push: Operation) -> Operation | None:
        base = push.path.rstrip("/")

        def score(operation: Operation) -> int:
            if operation.method != "get" or len(operation.path_params()) != 1:
                return 0
            if not operation.path.endswith("}"):
                return 0
            parent = operation.path.rsplit("/", 1)[0]
            return 3 if parent == base else 2 if operation.path.startswith(f"{base}/") else 1

        best = max(self.operations, key=score, default=None)
        return best if best is not None and score(best) else None

    def _batch_settings(self, block: Block, push: Operation) -> None:
        for operation in self.operations:
            if operation is push or operation.method != "post" or operation.path_params():
                continue
            if not BATCH_WORDS & {*words(operation.path), *words(operation.name)}:
                continue
            body = self.schemas.fields(self._body(operation))
            lists = [field for field in body if field.type_name.startswith("list")]
            if not lists:
                continue
            block.add("batch_path", operation.path, f"guessed: {operation.name}")
            block.add("batch_ids_field", lists[0].path).add("batch_size", 50)
            items = self._answer(operation).items
            note = "the list of cases in its answer" if items else "the default: check its answer"
            block.add("items", items or "items", note)
            return

    def _check_path(self) -> str | None:
        found = self._find(
            "get", lambda o: not o.path_params() and bool(HEALTH_WORDS & set(words(o.path)))
        )
        return found.path if found else None

    def _find(self, method: str, test: Any) -> Operation | None:
        return next((o for o in self.operations if o.method == method and test(o)), None)

    def _idempotency_hint(self, push: Operation, fields: list[InputField]) -> str:
        header = self._idempotency_header(push)
        if header:
            return (
                f"{push.name} takes a {header} header; if the agency confirms it honours it "
                "(a second push with the same key answers with the first case), write header."
            )
        for field in fields:
            guess = guess_input(field.path)
            if guess and guess.source == "referral.idempotency_key":
                return (
                    f"{push.name}'s body has {field.path}, mapped from our idempotency key; if "
                    f"the agency keeps {field.path} unique, write field."
                )
        return f"{push.name} names no idempotency header and no key field."


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _external_id_path(operation: Operation) -> str:
    (param,) = operation.path_params()
    return operation.path.replace(f"{{{param}}}", "{external_id}")


def _case_id(push: Operation, found: ResponseShape) -> tuple[str, str]:
    case = found.role("external_id")
    if case is not None:
        return case.path, f"guessed: the case id in {push.name}'s answer"
    if len(found.leaves) == 1:
        return found.leaves[0].path, f"the one field of {push.name}'s answer"
    offered = ", ".join(leaf.path for leaf in found.leaves) or "no schema"
    return "TODO", f"where is the case id? the answer shows {offered} — شماره پرونده"


def _statuses(status: Leaf | None, operation: str) -> tuple[tuple[StatusValue, ...], str]:
    if status is None:
        return (), f"no status field found in {operation}'s answer"
    where = f"{status.path} in {operation}'s answer"
    labels = status.schema.get("x-enum-descriptions") or status.schema.get("x-enumNames") or []
    values = [str(value) for value in status.schema.get("enum", ())]
    if not values:
        return (), f"{where}; the description lists no values for it"
    named = [str(labels[i]) if i < len(labels) else "" for i in range(len(values))]
    return tuple(StatusValue(v, label) for v, label in zip(values, named, strict=True)), where
