"""Where httpx meets the hub: transport failures and HTTP answers become ``ConnectorError``.

Transient (the core retries): connection errors, timeouts, 5xx, 408, 429, and a 2xx answer the hub
cannot read. Of those, *ambiguous* — sent, and the agency may have acted on it, so a re-push is
safe only where the agency de-duplicates (``delivery.idempotency``): a timeout or a dropped
connection after the request went out, a 5xx other than 503 (the agency failed while handling
it), and a 2xx the hub cannot read. Permanent (``ConnectorRefused``, dead-lettered for an admin):
every other non-2xx answer — the agency refused what we sent, or our credentials. Every message
names the agency URL and what it answered.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from hub.core.errors import ConnectorError, ConnectorRefused, ConnectorTimeout

BODY_LIMIT = 2048  # bytes of an agency's answer kept in an error's detail
TRANSIENT_STATUSES = frozenset({408, 429})
# Answers that say the request was not handled at all: a retry cannot duplicate anything.
NOT_HANDLED_STATUSES = frozenset({408, 429, 503})
# Raised before the request went out: the agency cannot have seen it.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@contextmanager
def translated_transport_errors(method: str, url: str) -> Iterator[None]:
    """Turn what httpx raises while calling ``url`` into our error tree."""
    try:
        yield
    except httpx.TimeoutException as exc:
        error = ConnectorTimeout(
            f"{method} {url} did not answer in time ({type(exc).__name__})", {"url": url}
        )
        error.ambiguous = not isinstance(exc, NOT_SENT)
        raise error from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise ConnectorRefused(f"{method} {url} cannot be called: {exc}", {"url": url}) from exc
    except httpx.HTTPError as exc:
        raise ConnectorError(
            f"{method} {url} failed: {type(exc).__name__}: {exc}",
            detail={"url": url},
            ambiguous=not isinstance(exc, NOT_SENT),
        ) from exc


def raise_for_answer(response: httpx.Response) -> None:
    """Raise unless the agency answered 2xx; 5xx/408/429 transient, anything else permanent."""
    if response.is_success:
        return
    status = response.status_code
    message = f"{_call(response)} answered HTTP {status} {response.reason_phrase}".rstrip()
    if status >= 500 or status in TRANSIENT_STATUSES:
        raise ConnectorError(
            message,
            permanent=False,
            detail=answer_detail(response),
            ambiguous=status not in NOT_HANDLED_STATUSES,
        )
    raise ConnectorRefused(message, answer_detail(response))


def json_of(response: httpx.Response) -> Any:
    """The answer's JSON; a 2xx that is not JSON is transient (a proxy's page, a half-deploy)."""
    try:
        return response.json()
    except ValueError as exc:
        raise ConnectorError(
            f"{_call(response)} answered HTTP {response.status_code} but not with JSON",
            detail=answer_detail(response),
            ambiguous=True,
        ) from exc


def unreadable_answer(response: httpx.Response, what: str) -> ConnectorError:
    """A transient error for a JSON answer that lacks what the settings point at."""
    return ConnectorError(
        f"{_call(response)} answered HTTP {response.status_code} without {what}",
        detail=answer_detail(response),
        ambiguous=True,
    )


def answer_detail(response: httpx.Response) -> dict[str, Any]:
    body = response.content[:BODY_LIMIT].decode(response.encoding or "utf-8", errors="replace")
    return {"url": str(response.request.url), "status": response.status_code, "body": body}


def _call(response: httpx.Response) -> str:
    return f"{response.request.method} {response.request.url}"
