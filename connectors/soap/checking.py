"""What ``check()`` asks a SOAP agency beyond its WSDL's input types.

- **One authenticated call**: ``operations.check`` — a harmless operation, such as the status of
  a known test case — with ``check.arguments``, made as a push is made (the agreement's
  WS-Security token and HTTP basic auth, its headers and timeouts). A WS-Security fault or HTTP
  401/403 means our credentials were refused; any other answer of the agency's own, even a
  Client fault about a case it does not know, means they were taken. Without a check operation
  nothing proves the credentials, and where the agreement has some the Health says so.
- **The WSDL side of that call and of the answers**: ``check.arguments`` name fields of the
  check operation's input and fill what it requires; ``push.external_id`` and the poll fields
  name elements of the answers' types (``answer_paths``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from lxml import etree
from zeep import exceptions as zeep_errors

from connectors.soap import answers
from connectors.soap.answer_paths import answer_shape, item_shape, path_problem
from connectors.soap.clients import SoapClient
from connectors.soap.faults import SECURITY_FAULT_CODES, fault_codes
from connectors.soap.wsdl_check import input_type, missing_field, unfilled_required
from hub.core.errors import ConnectorError, ConnectorTimeout

Call = Callable[[str, Mapping[str, Any], dict[str, str]], Any]
SECURITY_WORDS = ("auth", "security", "credential", "password", "login")
POLL_FIELDS = ("external_id", "status", "result", "changed_at")


@dataclass(frozen=True)
class Verdict:
    detail: str
    problems: tuple[str, ...] = ()


def verify(client: SoapClient, settings: Mapping[str, Any], call: Call) -> Verdict:
    """The check call's verdict, after the WSDL-side problems of the call and the answers."""
    offered = client.binding.all()
    problems = answer_problems(offered, settings)
    argument_gaps = argument_problems(offered, settings)
    operation = settings["operations"].get("check")
    if operation is None:
        return _not_verified(settings, [*problems, *argument_gaps])
    if operation not in offered:  # wsdl_check names the missing operation
        return Verdict(
            f"{operation} was not called: the WSDL has no such operation", tuple(problems)
        )
    if argument_gaps:
        detail = f"{operation} was not called: check.arguments do not match its input"
        return Verdict(detail, (*problems, *argument_gaps))
    verdict = _call(operation, settings, call)
    return Verdict(verdict.detail, (*problems, *verdict.problems))


def credential_fields(settings: Mapping[str, Any]) -> set[str]:
    """The input fields the connector fills on every call by itself: ``body_auth``'s, and the
    session id's where the agreement logs in once."""
    fields = set(settings.get("body_auth", {}))
    if session := settings.get("session"):
        fields.add(session.get("field", "SessionID"))
    return fields


def argument_problems(offered: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    operation = settings["operations"].get("check")
    arguments = settings.get("check", {}).get("arguments", {})
    if operation is None:
        if "check" not in settings:
            return []
        return [
            "connector.settings.check is set but operations.check names no operation: name the "
            "harmless operation its arguments are for."
        ]
    if operation not in offered:
        return []
    xsd_type = input_type(offered[operation])
    found = []
    for path in arguments:
        if why := missing_field(xsd_type, path, operation):
            found.append(
                f"The check argument {path!r} is set, but {why}; correct "
                "connector.settings.check.arguments."
            )
    for gap in unfilled_required(xsd_type, set(arguments) | credential_fields(settings)):
        found.append(
            f"The check operation {operation} requires {gap}, which "
            "connector.settings.check.arguments does not fill."
        )
    return found


def answer_problems(offered: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    """``push.external_id`` and the poll fields, against the answers of the operations that
    the connector reads them from (the batch operation's items where batches are used)."""
    names, poll = settings["operations"], settings["poll"]
    found = []
    if names["push"] in offered:
        shape = answer_shape(offered[names["push"]], names["push"])
        found += _path_problems("push.external_id", settings["push"]["external_id"], shape, True)
    batch = names.get("poll_batch")
    if batch and "batch_field" in poll:
        if batch not in offered:
            return found
        items = poll.get("items", "@")
        batch_answer = answer_shape(offered[batch], batch)
        if item_problems := _path_problems("poll.items", items, batch_answer):
            return found + item_problems
        case = item_shape(items, batch_answer)
    elif names["poll"] in offered:
        case = answer_shape(offered[names["poll"]], names["poll"])
    else:
        return found
    for key in POLL_FIELDS:
        if key in poll:
            found += _path_problems(f"poll.{key}", poll[key], case)
    return found


def _path_problems(key: str, expression: str, shape: Any, bare_value_ok: bool = False) -> list[str]:
    why = path_problem(expression, shape, bare_value_ok)
    if why is None:
        return []
    return [
        f"The setting {key} {expression!r} names no element of the agency's answer: {why}; "
        f"correct connector.settings.{key}."
    ]


def _not_verified(settings: Mapping[str, Any], problems: list[str]) -> Verdict:
    if not (settings.get("auth") or settings.get("body_auth") or settings.get("session")):
        return Verdict("no operation was called (no credentials to verify)", tuple(problems))
    return Verdict(
        "no operation was called",
        (
            *problems,
            "Our credentials (connector.settings.auth) were NOT verified: no operation was "
            "called — name a harmless one in connector.settings.operations.check (such as the "
            "status of a known test case) with its input in check.arguments.",
        ),
    )


def _call(operation: str, settings: Mapping[str, Any], call: Call) -> Verdict:
    payload: dict[str, Any] = {}
    for path, value in settings.get("check", {}).get("arguments", {}).items():
        payload = answers.with_value(payload, path, value)
    started = time.perf_counter()
    try:
        call(operation, payload, {})
    except ConnectorError as exc:
        return _refused(operation, settings, exc)
    elapsed_ms = (time.perf_counter() - started) * 1000
    return Verdict(f"{operation} answered with our credentials in {elapsed_ms:.0f} ms")


def _refused(operation: str, settings: Mapping[str, Any], error: ConnectorError) -> Verdict:
    auth = settings.get("auth", {})
    cause = error.__cause__
    status = error.detail.get("status_code")
    if error.detail.get("auth"):  # the agency's own answer, in the body: our credentials refused
        said = error.detail.get("error_message") or error.message
        return _problem(
            operation,
            f"The agency refused our credentials on {operation} ({said}) — check "
            "connector.settings.body_auth (or session.arguments).",
        )
    if error.detail.get("error_code"):  # an in-body error about the request, not about us
        return Verdict(
            f"{operation} answered {error.detail['error_code']}: taken as proof that our "
            "credentials work — the agency answered about the request, not about us"
        )
    if status in (401, 403):
        fix = (
            "check connector.settings.auth.basic"
            if "basic" in auth
            else "it asks for HTTP authentication: set connector.settings.auth.basic"
        )
        return _problem(operation, f"The agency refused our credentials (HTTP {status}) — {fix}.")
    if isinstance(cause, zeep_errors.Fault):
        return _fault(operation, auth, cause)
    if isinstance(error, ConnectorTimeout) or isinstance(cause, httpx.TransportError):
        return _problem(
            operation,
            f"The agency is unreachable for {operation}: {error.message} — check "
            "connector.settings.endpoint (or the WSDL's soap:address) and timeouts.operation.",
        )
    if status is not None:
        return _problem(
            operation,
            f"The agency answered {operation} with HTTP {status}, not a SOAP answer — check "
            "connector.settings.endpoint (or the WSDL's soap:address).",
        )
    return _problem(
        operation,
        f"The check call {operation} failed: {error.message} — check connector.settings.check.",
    )


def _fault(operation: str, auth: Mapping[str, Any], fault: zeep_errors.Fault) -> Verdict:
    if _is_security_fault(fault):
        fix = (
            "check connector.settings.auth.username_token"
            if "username_token" in auth
            else "it asks for WS-Security: set connector.settings.auth.username_token"
        )
        return _problem(
            operation,
            f"The agency refused our WS-Security credentials on {operation} "
            f"({fault.message}) — {fix}.",
        )
    if fault_codes(fault)[0] in ("Client", "Sender"):
        return Verdict(
            f"{operation} answered with a Client fault ({fault.message}): taken as proof that "
            "our credentials work — the agency answered about the request, not about us (the "
            "test case in check.arguments may be unknown to it)"
        )
    return _problem(
        operation,
        f"The agency's system failed on {operation} ({fault.message}), so our credentials were "
        "NOT verified — run the check again later.",
    )


def _is_security_fault(fault: zeep_errors.Fault) -> bool:
    if SECURITY_FAULT_CODES.intersection(fault_codes(fault)):
        return True
    codes = [str(fault.code or "")]
    for subcode in fault.subcodes or ():
        codes.append(subcode.text if isinstance(subcode, etree.QName) else str(subcode))
    return any(word in code.lower() for code in codes for word in SECURITY_WORDS)


def _problem(operation: str, problem: str) -> Verdict:
    return Verdict(f"{operation} did not prove our credentials", (problem,))
