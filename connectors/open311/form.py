"""A referral as the form fields of GeoReport v2's ``POST requests``.

The agreement's mapping names the spec's parameters (``description``, ``lat``, ``long``,
``address_string``, ``email``, ``first_name``, ``last_name``, ``phone``, ``media_url`` …);
``attribute.<code>`` becomes ``attribute[<code>]``, a list ``attribute[<code>][]`` once per value
(a multivaluelist). The category's service adds its ``service_code`` and fixed attributes (the
mapping's attribute values win). Values go as text: ``true``/``false``, numbers as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.open311.settings import Open311Settings, Service
from hub.core.errors import ConnectorRefused
from hub.plugins.connector import OutgoingReferral

Form = list[tuple[str, str]]


def service_of(settings: Open311Settings, referral: OutgoingReferral) -> Service:
    category = str(referral.request.get("category", ""))
    service = settings.service_for(category)
    if service is None:
        raise ConnectorRefused(
            f"no service_code for category {category!r} — add it (or its branch) to "
            "connector.settings.services",
            {"category": category},
        )
    return service


def request_form(settings: Open311Settings, referral: OutgoingReferral) -> Form:
    """Everything ``POST requests`` sends for ``referral``, api_key included."""
    service = service_of(settings, referral)
    fields = dict(referral.fields)
    attributes = {**service.attributes, **dict(fields.pop("attribute", None) or {})}
    form: Form = [("api_key", settings.api_key), ("service_code", service.service_code)]
    if settings.jurisdiction_id:
        form.append(("jurisdiction_id", settings.jurisdiction_id))
    for name, value in fields.items():
        form.extend(_pairs(name, value))
    for code, value in attributes.items():
        form.extend(_pairs(f"attribute[{code}]", value))
    return form


def _pairs(name: str, value: Any) -> Form:
    if isinstance(value, Mapping):
        return [pair for key, sub in value.items() for pair in _pairs(f"{name}[{key}]", sub)]
    if isinstance(value, list | tuple):
        key = f"{name}[]" if name.startswith("attribute[") else name
        return [(key, _text(item)) for item in value]
    return [(name, _text(value))]


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
