"""Where httpx and GeoReport v2 meet the hub: failures become ``ConnectorError``.

The spec answers a refusal with an ``errors`` document (``code`` and ``description`` each) and
an HTTP status: 400 a request it will not take (a missing parameter, an unknown service_code, a
required attribute missing), 403 a wrong ``api_key``, 404 nothing at that URL. Those are
permanent (``ConnectorRefused``): sending the same thing again cannot help, an admin must change
the agreement. Transient (retried): no connection, a timeout, 5xx, 408, 429, and a 2xx the hub
cannot read. Of those, *ambiguous* — the request went out and the server may have created it, so
a re-push is safe only where the agency de-duplicates (``delivery.idempotency``): a timeout or a
dropped line after sending, a 5xx other than 503, and an unreadable 2xx. Every message names the
URL and what the server said.
"""

from __future__ import annotations

from typing import Any

import httpx

from connectors.open311 import documents

# The transport is the REST connector's (httpx): its failures are read the same way.
from connectors.rest.errors import BODY_LIMIT, NOT_HANDLED_STATUSES, TRANSIENT_STATUSES
from hub.core.errors import ConnectorError, ConnectorRefused

WHAT_TO_CHANGE = {
    400: "check the agreement's mapping and services (service_code, required attributes)",
    401: "check connector.settings.api_key",
    403: "check connector.settings.api_key (and jurisdiction_id)",
    404: "check connector.settings.endpoint and the service_code",
}


def refusal(response: httpx.Response, said: list[tuple[str, str]]) -> ConnectorError:
    """The error for a non-2xx answer; ``said`` the spec's errors the body carried."""
    status = response.status_code
    words = "; ".join(f"{code}: {text}" if code else text for code, text in said)
    message = f"{call_of(response)} answered HTTP {status}" + (f" ({words})" if words else "")
    detail = {**answer_detail(response), "errors": [list(pair) for pair in said]}
    if status >= 500 or status in TRANSIENT_STATUSES:
        return ConnectorError(
            message, permanent=False, detail=detail, ambiguous=status not in NOT_HANDLED_STATUSES
        )
    hint = WHAT_TO_CHANGE.get(status)
    return ConnectorRefused(f"{message} — {hint}" if hint else message, detail)


def unreadable(response: httpx.Response, what: str) -> ConnectorError:
    """A 2xx answer without what the spec promises: transient, and the server may have acted."""
    return ConnectorError(
        f"{call_of(response)} answered HTTP {response.status_code} without {what}",
        detail=answer_detail(response),
        ambiguous=True,
    )


def said_errors(response: httpx.Response, format: str) -> list[tuple[str, str]]:
    try:
        return documents.errors(documents.read(response.content, format))
    except documents.Unreadable:
        return []


def answer_detail(response: httpx.Response) -> dict[str, Any]:
    body = response.content[:BODY_LIMIT].decode(response.encoding or "utf-8", errors="replace")
    return {"url": str(response.request.url), "status": response.status_code, "body": body}


def call_of(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url.copy_remove_param('api_key')}"
