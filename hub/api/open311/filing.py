"""``POST requests``: an Open311 form turned into the shared request, then intake as on ``/v1``.

GeoReport v2 parameters map onto ``schemas/request.schema.json``: ``first_name``,
``last_name``, ``phone`` (→ ``citizen.mobile``), ``email``, ``description``, ``lat``/``long`` and
``address_string`` (→ ``location``), ``media_url`` (→ ``attachments``); what the spec has no
parameter for comes as the service's attributes: ``attribute[national_id]``,
``attribute[county]``, ``attribute[request_type]``. The service code is the category; the subject
is the service's Persian name. Nothing here validates what intake validates: intake refuses, and
:mod:`hub.api.open311.errors` names the Open311 parameter.
"""

from __future__ import annotations

import math
import mimetypes
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from hub.api.open311.errors import bad_request
from hub.api.open311.services import DEFAULT_TYPE, Service

DESCRIPTION_LIMIT = 4000  # GeoReport v2's limit (the shared schema allows 5000)
_ATTRIBUTE = re.compile(r"^attribute\[([^\]]+)\](\[\])?$")
_FILE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def attributes(form: Mapping[str, list[str]]) -> dict[str, str]:
    """``attribute[code]=value`` pairs (the last value of a code sent twice)."""
    found = {}
    for key, values in form.items():
        match = _ATTRIBUTE.match(key)
        if match and values:
            found[match.group(1)] = values[-1].strip()
    return found


def _one(form: Mapping[str, list[str]], name: str) -> str | None:
    values = [v.strip() for v in form.get(name, []) if v.strip()]
    return values[-1] if values else None  # "optional": empty is the same as absent


def _coordinate(text: str | None, name: str, limit: float) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or abs(value) > limit:
        raise bad_request(f"{name}: {text[:40]!r} is not a WGS84 {name} (−{limit}…{limit})")
    return value


def _location(form: Mapping[str, list[str]], county: str | None) -> dict[str, Any]:
    lat = _coordinate(_one(form, "lat"), "lat", 90)
    lon = _coordinate(_one(form, "long"), "long", 180)
    address = _one(form, "address_string")
    if (lat is None) != (lon is None):
        raise bad_request("lat and long: send both, or neither with an address_string")
    if lat is None and address is None:
        raise bad_request(
            "location: send lat and long, or address_string (address_id is not used here)"
        )
    location: dict[str, Any] = {} if county is None else {"county": county}
    if address is not None:
        location["address"] = address
    if lat is not None:
        location.update(lat=lat, lon=lon)
    return location


def _attachment(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise bad_request(f"media_url: {url[:80]!r} is not an http(s) URL")
    last = parts.path.rstrip("/").rpartition("/")[2]
    name = _FILE_NAME.sub("-", last).strip(".-")[:255] or "media"
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    # Not fetched: the agency follows the link, so its size is not known here.
    return {"name": name, "content_type": content_type, "size": 0, "url": url}


def shared_request(service: Service, form: Mapping[str, list[str]]) -> dict[str, Any]:
    """The document intake validates, normalises, stores and routes."""
    extra = attributes(form)
    county = extra.get("county") or None
    if service.counties and county is not None and county not in service.counties:
        raise bad_request(
            f"attribute[county]: this service is offered only in {'، '.join(service.counties)}"
        )
    citizen = {
        key: value
        for key, value in (
            ("first_name", _one(form, "first_name")),
            ("last_name", _one(form, "last_name")),
            ("mobile", _one(form, "phone")),
            ("email", _one(form, "email")),
            ("national_id", extra.get("national_id") or None),
        )
        if value is not None
    }
    document: dict[str, Any] = {
        "channel": "open311",
        "type": extra.get("request_type") or DEFAULT_TYPE,
        "category": service.code,
        "subject": service.name_fa,
        "citizen": citizen,
        "location": _location(form, county),
    }
    description = _one(form, "description")
    if description is not None and len(description) > DESCRIPTION_LIMIT:
        raise bad_request(f"description: at most {DESCRIPTION_LIMIT} characters, as the spec says")
    if description is not None:
        document["description"] = description
    media = _one(form, "media_url")
    if media is not None:
        document["attachments"] = [_attachment(media)]
    return document
