"""SOAP faults and transport failures, translated into the hub's connector errors.

Permanent (never retried): Client/Sender faults, WS-Security faults, answers that break the
WSDL's schema or the agreement's mapping, hostile XML (DTDs, entities, external references),
HTTP 4xx. Transient (retried with backoff): Server/Receiver faults, timeouts, connection errors,
HTTP 5xx, answers that are not XML at all (typically a proxy's error page during maintenance).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from lxml import etree
from zeep import exceptions as zeep_errors

from connectors.soap import transport
from connectors.soap.transport import kept_body
from hub.core.errors import (
    ConnectorError,
    ConnectorRefused,
    ConnectorTimeout,
    ConnectorUnconfirmed,
)

PERMANENT_FAULT_CODES = frozenset({"Client", "Sender", "VersionMismatch", "MustUnderstand"})
SECURITY_FAULT_CODES = frozenset(
    {
        "FailedAuthentication",
        "InvalidSecurity",
        "InvalidSecurityToken",
        "FailedCheck",
        "SecurityTokenUnavailable",
        "UnsupportedSecurityToken",
        "UnsupportedAlgorithm",
    }
)
HOSTILE_XML = (
    zeep_errors.DTDForbidden,
    zeep_errors.EntitiesForbidden,
    zeep_errors.ExternalReferenceForbidden,
)
SCHEMA_MISMATCH = (
    zeep_errors.ValidationError,
    zeep_errors.LookupError,
    zeep_errors.XMLParseError,
    TypeError,
)


def _local(code: str) -> str:
    """``soap:Client.Auth`` → ``Client``; ``{ns}Sender`` → ``Sender``."""
    return code.rpartition("}")[2].rpartition(":")[2].split(".")[0]


def fault_codes(fault: zeep_errors.Fault) -> list[str]:
    codes = [_local(str(fault.code or ""))]
    for subcode in fault.subcodes or ():
        text = subcode.localname if isinstance(subcode, etree.QName) else str(subcode)
        codes.append(_local(text))
    return codes


def _from_fault(fault: zeep_errors.Fault, operation: str) -> ConnectorError:
    codes = fault_codes(fault)
    detail = {"operation": operation, "fault_code": fault.code, "fault_string": fault.message}
    if SECURITY_FAULT_CODES.intersection(codes):
        return ConnectorRefused(
            f"the agency refused our WS-Security credentials on {operation}: {fault.message}",
            detail,
        )
    if codes[0] in PERMANENT_FAULT_CODES:
        return ConnectorRefused(f"the agency refused {operation}: {fault.message}", detail)
    # A Server fault is an HTTP 500 while handling the call: the case may be written already.
    return ConnectorError(
        f"the agency's system failed on {operation}: {fault.message}",
        permanent=False,
        detail=detail,
        ambiguous=True,
    )


def _from_http_status(status: int, content: bytes | None, operation: str) -> ConnectorError:
    detail: dict[str, Any] = {"operation": operation, "status_code": status}
    if content:
        detail["body"] = kept_body(content)
    permanent = 400 <= status < 500 and status not in (408, 429)
    message = f"the agency answered {operation} with HTTP {status}"
    if status in (401, 403):
        message += ": check the agreement's credentials"
    return ConnectorError(message, permanent=permanent, detail=detail)


def translate(exc: Exception, operation: str) -> ConnectorError:
    """The hub's error for one foreign exception raised while calling ``operation``."""
    if isinstance(exc, zeep_errors.Fault):
        return _from_fault(exc, operation)
    if isinstance(exc, httpx.TimeoutException):
        return ConnectorTimeout(f"the agency did not answer {operation} in time ({exc})")
    if isinstance(exc, httpx.HTTPStatusError):
        return _from_http_status(exc.response.status_code, exc.response.content, operation)
    if isinstance(exc, httpx.TransportError):
        return ConnectorError(f"could not reach the agency for {operation}: {exc}", detail={})
    if isinstance(exc, zeep_errors.TransportError) and exc.status_code != 200:
        return _from_http_status(exc.status_code, exc.content, operation)
    if isinstance(exc, HOSTILE_XML):
        return ConnectorRefused(
            f"refused the agency's answer to {operation}: it carries {exc} (XML attacks are never "
            "parsed)",
            {"operation": operation, "hostile": True},
        )
    if isinstance(exc, zeep_errors.TransportError | zeep_errors.XMLSyntaxError):
        content = exc.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", errors="replace")
        if b"<!ENTITY" in content:
            # libxml2 stops entity bombs itself, as a syntax error; still an attack, not noise.
            return ConnectorRefused(
                f"refused the agency's answer to {operation}: it declares XML entities "
                "(XML attacks are never parsed)",
                {"operation": operation, "body": kept_body(content), "hostile": True},
            )
        return ConnectorError(
            f"the agency's answer to {operation} is not a readable SOAP envelope",
            detail={"operation": operation, "body": kept_body(content), "error": str(exc)},
        )
    if isinstance(exc, SCHEMA_MISMATCH):
        return ConnectorRefused(
            f"{operation} does not match the agency's WSDL: {exc}", {"operation": operation}
        )
    if isinstance(exc, OSError):
        return ConnectorRefused(f"could not read the WSDL for {operation}: {exc}", {})
    return ConnectorError(f"{operation} failed: {exc!r}", detail={"operation": operation})


@contextmanager
def agency_errors(operation: str) -> Iterator[None]:
    """Translate whatever a zeep call raises into a ``ConnectorError``; ours pass through.

    An error after the agency took the call — it answered 2xx and the answer could not be read
    (the elements out of the WSDL's order, a part missing), or the call went out and no answer
    came back — is *ambiguous*: the agency may have acted, so it is never called permanent.
    """
    transport.last_sent.set(False)
    transport.last_answer.set(None)
    try:
        yield
    except ConnectorError as exc:
        if _took_the_call() and not exc.permanent:
            exc.ambiguous = True
        raise
    except (zeep_errors.Error, httpx.HTTPError, TypeError, OSError) as exc:
        error = translate(exc, operation)
        # A fault is the agency's own clear answer; hostile XML is refused whatever it says.
        clear = isinstance(exc, zeep_errors.Fault) or error.detail.get("hostile")
        if _took_the_call() and not clear:
            status = transport.last_answer.get()
            if status is None or 200 <= status < 300 or (status >= 500 and status != 503):
                if error.permanent:  # an answer we could not read: not a refusal
                    error = ConnectorUnconfirmed(
                        f"{error.message} (the agency took the call: it may have acted on it)",
                        error.detail,
                    )
                else:
                    error.ambiguous = True
        raise error from exc


def _took_the_call() -> bool:
    return transport.last_sent.get() or transport.last_answer.get() is not None
