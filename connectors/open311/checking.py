"""What ``check()`` asks an Open311 agency: its ``services`` list, and the definition of each
mapped service that has attributes.

Problems, each naming the setting to change: a category whose ``service_code`` the server does
not list; a required attribute (``required`` and ``variable``) of a mapped service that neither the
service's ``attributes`` nor the mapping's ``attribute.<code>`` gives; a mapping that gives no
location (the spec needs ``lat``/``long``, ``address_string`` or ``address_id``). GeoReport v2
reads need no api_key, so the key itself is proven only by a push: a dry run
(``connector.test_settings``) does one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote

from connectors.open311 import documents
from connectors.open311.settings import Open311Settings, Service
from hub.core.errors import ConnectorError
from hub.plugins.connector import Health

GetDocument = Callable[[str], Any]
LOCATION_PARAMETERS = (("lat", "long"), ("address_string",), ("address_id",))


def check(settings: Open311Settings, mapping: Mapping[str, Any], get: GetDocument) -> Health:
    try:
        offered = {str(s.get("service_code")): s for s in _services(get("services"))}
    except (ConnectorError, documents.Unreadable) as exc:
        message = exc.message if isinstance(exc, ConnectorError) else str(exc)
        problem = (
            f"GET services answered no services list: {message} — check "
            "connector.settings.endpoint and that the agency's system is up."
        )
        return Health(ok=False, detail=message, problems=(problem,))
    problems: list[str] = []
    mapped_attributes = {key.split(".", 1)[1] for key in mapping if key.startswith("attribute.")}
    for category, service in settings.services.items():
        listed = offered.get(service.service_code)
        if listed is None:
            problems.append(
                f"services.{category}: the agency lists no service_code "
                f"{service.service_code!r} — change it to one of {sorted(offered)}."
            )
        elif _truthy(listed.get("metadata")):
            problems.extend(_missing_attributes(category, service, mapped_attributes, get))
    if not any(all(p in mapping for p in group) for group in LOCATION_PARAMETERS):
        problems.append(
            "mapping gives no location: map lat and long, address_string or address_id "
            "(e.g. address_string: location.address)."
        )
    detail = (
        f"GET services lists {len(offered)} services; {len(settings.services)} categories "
        "mapped (the api_key is proven only by a push: see connector.test_settings)"
    )
    return Health(ok=not problems, detail=detail, problems=tuple(problems))


def _missing_attributes(
    category: str, service: Service, mapped: set[str], get: GetDocument
) -> list[str]:
    try:
        definition = get(f"services/{quote(service.service_code, safe='')}")
    except ConnectorError as exc:
        return [f"services.{category}: its definition could not be read: {exc.message}."]
    if isinstance(definition, Mapping) and "service_definition" in definition:
        definition = definition["service_definition"]
    attributes = definition.get("attributes", []) if isinstance(definition, Mapping) else []
    given = mapped | set(service.attributes)
    return [
        f"services.{category}: service {service.service_code!r} requires attribute "
        f"{attribute.get('code')!r} ({attribute.get('description', '')}) — add it to "
        f"services.{category}.attributes or map attribute.{attribute.get('code')}."
        for attribute in attributes
        if isinstance(attribute, Mapping)
        and _truthy(attribute.get("required"))
        and _truthy(attribute.get("variable", True))
        and str(attribute.get("code")) not in given
    ]


def _services(document: Any) -> list[Mapping[str, Any]]:
    return [s for s in documents.items(document, "services") if isinstance(s, Mapping)]


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
