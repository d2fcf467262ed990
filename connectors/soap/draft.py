"""Reading an agency's WSDL for ``samad-hub agreements draft --wsdl``: what the push operation
takes, which operation polls, where the case id, status and result sit in the answers.

It lives with the SOAP connector, not in ``hub/agreements/drafts``, because reading a WSDL is the
connector's own craft and must be done exactly as the connector will do it: the same zeep client
(``clients.build_client``: the hub's HTTP client with its timeouts, zeep's hardened parser, the
same port selection), the same view of an operation's input (``wsdl_check``) and of its answer
(zeep hands back a one-element answer as that element's value, which ``answers.addressed``
expects). ``hub.agreements`` sits below every connector and may not import one; this module
imports it instead, and hands the neutral ``AgencyDescription`` to its generic renderer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.soap import clients, wsdl_check
from connectors.soap.clients import SoapClient
from connectors.soap.draft_types import (
    Answer,
    Leaf,
    answer,
    documents,
    enumerations,
    leaves,
    service_summary,
)
from connectors.soap.faults import agency_errors
from hub.agreements.drafts.commented import Block
from hub.agreements.drafts.description import (
    AgencyDescription,
    DescriptionError,
    InputField,
    StatusValue,
    UnknownOperation,
)
from hub.agreements.drafts.guesses import guess_input, secret_env, word_set, words
from hub.core.errors import ConnectorError
from hub.plugins.connector import ConnectorContext

PUSH_WORDS = word_set("register create submit add new insert open send save sabt ijad ersal")
POLL_WORDS = word_set(
    "status state get inquiry inquire track query check read estelam peygiri vaziat"
)


@dataclass(frozen=True)
class Poll:
    """An operation that seems to report statuses: it takes one case id (or a list of them)."""

    operation: str
    key: Leaf  # the input field that takes the case id(s)
    answer: Answer
    score: int  # how many of its name's words say "status", "inquiry" …


def describe(location: str, config_dir: Path, operation: str | None = None) -> AgencyDescription:
    """The WSDL at ``location`` (a URL or a file) read for a draft around push ``operation``."""
    client, version = _load(location)
    try:
        return _Reader(client, location, config_dir).read(version, operation)
    finally:
        client.transport.close()


def _load(location: str) -> tuple[SoapClient, str]:
    where = location
    if not location.startswith(("http://", "https://")):
        path = Path(location.removeprefix("file://")).expanduser()
        if not path.is_file():
            raise DescriptionError(f"could not load the WSDL: there is no file {location}")
        where = str(path.resolve())
    context = ConnectorContext("draft", {}, {}, Path.cwd(), Path.cwd())  # no disk cache used
    for version in ("1.1", "1.2"):  # a SOAP 1.2-only WSDL has no 1.1 port
        settings = {"wsdl": where, "soap_version": version, "timeouts": {"wsdl": 30}}
        try:
            with agency_errors("loading the WSDL"):
                return clients.build_client(settings, context, disk_cache=False), version
        except ConnectorError as exc:
            if not _no_port(exc):
                raise DescriptionError(
                    f"could not load the WSDL at {location}: {_why(exc)}"
                ) from exc
    raise DescriptionError(f"{location} has no SOAP 1.1 or 1.2 port: is it a WSDL?")


def _no_port(exc: ConnectorError) -> bool:
    """The document was read, but ``clients.select_port`` found no port of that SOAP version."""
    return exc.message.startswith("the WSDL has no")


def _why(exc: ConnectorError) -> str:
    if "error" in exc.detail:  # the connector's words are for a call's answer, not a document
        return f"it is not a readable XML document ({exc.detail['error']})"
    return exc.message


class _Reader:
    """One WSDL read into a description; each method drafts one part of the settings."""

    def __init__(self, client: SoapClient, location: str, config_dir: Path) -> None:
        self.client = client
        self.location = location
        self.config_dir = config_dir
        self.offered: dict[str, Any] = dict(client.binding.all())
        self.roots = documents(client)
        self.by_type, self.by_element = enumerations(self.roots)
        self.service, self.address = self._service_and_address()
        self.notes: list[str] = []

    def read(self, version: str, operation: str | None) -> AgencyDescription:
        push = self._push_operation(operation)
        inputs = leaves(wsdl_check.input_type(self.offered[push]))
        idempotency = self._carrying(inputs, "referral.idempotency_key")
        reference = self._carrying(inputs, "referral.reference")
        fields = tuple(self._input_field(leaf, idempotency, reference) for leaf in inputs)
        settings, operations = self._settings_head(version, push)
        self._key_settings(settings, push, idempotency, reference)
        statuses, statuses_from = self._poll_settings(settings, operations, push)
        self._tail_settings(settings)
        return AgencyDescription(
            connector_type="soap",
            source=self.location,
            service=self.service,
            operation=push,
            fields=fields,
            settings=settings,
            summary=service_summary(self.roots, self.service),
            statuses=statuses,
            statuses_from=statuses_from,
            idempotency=self._idempotency_hint(push, idempotency),
            notes=tuple(self.notes),
        )

    def _service_and_address(self) -> tuple[str, str]:
        for service in self.client.zeep.wsdl.services.values():
            for port in service.ports.values():
                if port.binding is self.client.binding:
                    return str(service.name), str(port.binding_options.get("address", ""))
        return "the agency's service", ""

    def _push_operation(self, wanted: str | None) -> str:
        offers = ", ".join(self.offered) or "none"
        if wanted is not None:
            if wanted not in self.offered:
                raise UnknownOperation(f"the WSDL has no operation {wanted!r}; it offers {offers}")
            return wanted
        if not self.offered:
            raise DescriptionError("the WSDL's SOAP port offers no operations")

        def score(name: str) -> tuple[int, int]:
            fields = leaves(wsdl_check.input_type(self.offered[name]))
            return len(PUSH_WORDS & set(words(name))), len(fields)

        return max(self.offered, key=score)

    def _carrying(self, inputs: list[Leaf], source: str) -> Leaf | None:
        """The input field a connector setting fills (the idempotency key, the reference)."""
        for leaf in inputs:
            guess = guess_input(leaf.path)
            if not leaf.alternative and not leaf.many and guess and guess.source == source:
                return leaf
        return None

    def _input_field(self, leaf: Leaf, idempotency: Leaf | None, ref: Leaf | None) -> InputField:
        carried_by = None
        if leaf is idempotency:
            carried_by = "connector.settings.idempotency.field"
        elif leaf is ref:
            carried_by = "connector.settings.reference_field"
        if leaf.many and not leaf.alternative:
            self.notes.append(f"{leaf.path} is a list ({self._type_name(leaf)}): map it by hand")
        return InputField(
            path=leaf.path,
            required=leaf.required,
            type_name=self._type_name(leaf),
            choices=tuple(value.code for value in self._values(leaf)),
            above=leaf.above,
            alternative=leaf.alternative,
            carried_by=carried_by,
        )

    def _type_name(self, leaf: Leaf) -> str:
        qname = getattr(leaf.element.type, "qname", None)
        name = qname.localname if qname is not None else type(leaf.element.type).__name__
        return f"list of {name}" if leaf.many else name

    def _values(self, leaf: Leaf) -> tuple[StatusValue, ...]:
        qname = getattr(leaf.element.type, "qname", None)
        found = self.by_type.get(str(qname)) if qname is not None else None
        return found or self.by_element.get(leaf.name, ())

    def _settings_head(self, version: str, push: str) -> tuple[Block, Block]:
        """The settings' first lines, and their ``operations`` block (the poll's come later)."""
        settings = Block()
        settings.add("wsdl", *self._wsdl_value())
        settings.add("soap_version", version)
        settings.comment(
            f"endpoint: {self.address}  # only to call elsewhere than the WSDL's soap:address"
        )
        operations = settings.sub("operations")
        operations.add("push", push, "opens a case — ثبت پرونده")
        return settings, operations

    def _wsdl_value(self) -> tuple[str, str]:
        if self.location.startswith(("http://", "https://")):
            return self.location, "fetched when a worker starts; or a copy under config/wsdl/"
        path = Path(self.location.removeprefix("file://")).expanduser().resolve()
        if path.is_relative_to(self.config_dir.resolve()):
            return str(path.relative_to(self.config_dir.resolve())), "relative to config/"
        return str(path), "TODO: copy it to config/wsdl/ and write wsdl/<file> — کپی در config/wsdl"

    def _key_settings(
        self, settings: Block, push: str, idempotency: Leaf | None, reference: Leaf | None
    ) -> None:
        if idempotency is not None:
            note = "our idempotency key travels in this field — کلید یکتایی ارسال"
            settings.add("idempotency", Block().add("field", idempotency.path), note, flow=True)
        else:
            settings.comment(
                "idempotency: {field: NAME} or {header: NAME}  # where the agency takes our "
                "idempotency key; none found"
            )
        if reference is not None:
            settings.add("reference_field", reference.path, "the hub's referral reference")
        push_answer = answer(self.offered[push])
        settings.sub("push").add("external_id", *self._case_id(push, push_answer))

    def _case_id(self, operation: str, found: Answer) -> tuple[str, str]:
        if len(found.leaves) == 1 and found.items is None:
            return found.leaves[0].path, f"the one element of {operation}'s answer: the case id"
        case = found.role("external_id")
        if case is not None:
            return case.path, f"guessed: the case id in {operation}'s answer"
        offered = ", ".join(leaf.path for leaf in found.leaves) or "nothing"
        return "TODO", f"where is the case id? {operation}'s answer has {offered} — شماره پرونده"

    def _poll_settings(
        self, settings: Block, operations: Block, push: str
    ) -> tuple[tuple[StatusValue, ...], str]:
        single, batch = self._poll_operations(push)
        poll = settings.sub("poll")
        reporting = single or batch
        if reporting is None:
            operations.add("poll", "TODO", "no operation reports a case's status — استعلام")
            poll.add("case_field", "TODO").add("external_id", "TODO").add("status", "TODO")
            self.notes.append("no operation that reports a case's status was found")
            return (), "no operation of the WSDL answers with a status"
        operations.add(
            "poll", single.operation if single else "TODO", "guessed: reports a case's status"
        )
        poll.add("case_field", single.key.path if single else "TODO")
        if batch is not None:
            operations.add("poll_batch", batch.operation, "guessed: many cases at once")
            poll.add("batch_field", batch.key.path).add("batch_size", 50)
            poll.add("items", batch.answer.items or "@", "the list of statuses in the answer")
        return self._poll_paths(poll, reporting)

    def _poll_paths(self, poll: Block, reporting: Poll) -> tuple[tuple[StatusValue, ...], str]:
        operation, found = reporting.operation, reporting.answer
        if found.bare:
            # The answer is the status alone: a path it lacks reads nothing, and the connector
            # takes the case id it asked about.
            poll.add("external_id", reporting.key.name, "the case asked about")
            poll.add("status", "@", f"{operation}'s whole answer")
        else:
            for key in ("external_id", "status"):
                leaf = found.role(key)
                poll.add(key, leaf.path if leaf else "TODO", f"in {operation}'s answer")
        for key, role in (("result", "result"), ("changed_at", "changed_at")):
            leaf = found.role(role)
            if leaf is not None and not found.bare:
                poll.add(key, leaf.path, f"guessed, in {operation}'s answer")
            else:
                poll.comment(f"{key}: TODO  # not found in {operation}'s answer")
        status = found.role("status") or (found.leaves[0] if found.bare else None)
        if status is None:
            return (), f"no status element found in {operation}'s answer"
        values = self._values(status)
        where = f"{status.path} ({self._type_name(status)}) in {operation}'s answer"
        if not values:
            return (), f"{where}; the WSDL lists no values for it"
        return values, where

    def _poll_operations(self, push: str) -> tuple[Poll | None, Poll | None]:
        """The best single and batch poll operations: a status in the answer, one key in."""
        single: list[Poll] = []
        batch: list[Poll] = []
        for name, operation in self.offered.items():
            found = answer(operation)
            if name == push or not (found.role("status") or found.bare):
                continue
            inputs = leaves(wsdl_check.input_type(operation))
            required = [leaf for leaf in inputs if leaf.required] or inputs
            if len(required) != 1:
                continue
            poll = Poll(name, required[0], found, len(POLL_WORDS & set(words(name))))
            (batch if poll.key.many else single).append(poll)
        best = [max(group, key=lambda poll: poll.score, default=None) for group in (single, batch)]
        return best[0], best[1]

    def _tail_settings(self, settings: Block) -> None:
        password = f"${{env:{secret_env(self.service, 'PASSWORD')}}}"
        settings.comment(
            "auth:  # if the agency asks for credentials — اگر دستگاه نام کاربری و گذرواژه می‌خواهد",
            f"  username_token: {{username: TODO, password: {password}}}  # WS-Security",
            f"  basic: {{username: TODO, password: {password}}}  # HTTP basic",
        )
        settings.add("timeouts", Block().add("operation", 15).add("wsdl", 30), flow=True)

    def _idempotency_hint(self, push: str, idempotency: Leaf | None) -> str:
        if idempotency is None:
            return f"{push}'s input has no field for an idempotency key."
        return (
            f"{push}'s input has {idempotency.path}, which carries our idempotency key; if the "
            f"agency confirms it keeps {idempotency.path} unique (a second push with the same key "
            "finds the first case), write field."
        )
