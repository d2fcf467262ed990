"""What a GeoReport v2 server says about requests, as ``AgencyUpdate``s.

From ``GET requests``: the request's ``status`` (``open``/``closed``, or a server's own) and its
``status_notes`` as the result. From mySociety's ``servicerequestupdates``: each update with its
own ``update_id``, its extended status (``IN_PROGRESS``, ``FIXED`` …) and ``description``.
Statuses go to the hub untouched: the agreement's ``status_map`` is the core's business. Where the
server gives no id for a change, one is made of what identifies it — request, status and time —
so the same change read twice is applied once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.rest.updates import agency_moment
from hub.plugins.connector import AgencyUpdate


class MissingField(LookupError):
    """A request or update lacks what the spec requires; the caller names the call."""


def from_request(request: Mapping[str, Any], external_id: str) -> AgencyUpdate:
    """One ``request`` of a ``service_requests`` answer; ``external_id`` as in the Receipt."""
    service_request_id = _text(request, "service_request_id")
    status = _text(request, "status")
    if service_request_id is None or status is None:
        raise MissingField(f"service_request_id and status of each request ({dict(request)!r})")
    updated = _text(request, "updated_datetime")
    return AgencyUpdate(
        update_id="|".join(part for part in (service_request_id, status, updated) if part),
        external_id=external_id,
        status=status,
        result=_text(request, "status_notes"),
        occurred_at=agency_moment(updated),
        raw=dict(request),
    )


def from_request_update(update: Mapping[str, Any], external_id: str) -> AgencyUpdate:
    """One ``request_update`` of a ``service_request_updates`` answer."""
    update_id, status = _text(update, "update_id"), _text(update, "status")
    if update_id is None or status is None:
        raise MissingField(f"update_id and status of each request_update ({dict(update)!r})")
    return AgencyUpdate(
        update_id=f"update:{update_id}",
        external_id=external_id,
        status=status,
        result=_text(update, "description"),
        occurred_at=agency_moment(_text(update, "updated_datetime")),
        raw=dict(update),
    )


def _text(document: Mapping[str, Any], key: str) -> str | None:
    value = document.get(key)
    if value is None or value == "":
        return None
    return str(value)
