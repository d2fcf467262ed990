"""The Open311 sandbox's answers as GeoReport v2 documents, in JSON or in XML.

Each document is built once as Python (lists and dicts, the JSON shape), and XML is made from it
with lxml — never by pasting strings — under the spec's element names: a list is a container
whose items are named for what they are (``services``/``service``, ``service_requests``/
``request``, ``errors``/``error`` …).
"""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse, Response
from lxml import etree

from hub.sandbox.open311_store import ServiceRequest, Update

ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "service_request_updates": "request_update",
    "endpoints": "endpoint",
    "formats": "format",
}
FORMATS = ("json", "xml")


def answer(format: str, root: str, document: Any, status_code: int = 200) -> Response:
    """``document`` under ``root`` (XML's root element; JSON carries the bare document)."""
    if format == "json":
        return JSONResponse(document, status_code=status_code)
    element = _element(root, document)
    body = etree.tostring(element, xml_declaration=True, encoding="UTF-8")
    return Response(body, status_code=status_code, media_type="text/xml; charset=utf-8")


def errors(format: str, status_code: int, *descriptions: str) -> Response:
    document = [{"code": status_code, "description": text} for text in descriptions]
    return answer(format if format in FORMATS else "xml", "errors", document, status_code)


def request_document(request: ServiceRequest, service_name: str, agency: str) -> dict[str, Any]:
    return {
        "service_request_id": request.service_request_id,
        "status": request.status,
        "status_notes": request.status_notes or None,
        "service_name": service_name,
        "service_code": request.service_code,
        "description": request.value("description") or None,
        "agency_responsible": agency,
        "service_notice": None,
        "requested_datetime": _w3(request.requested),
        "updated_datetime": _w3(request.updated),
        "expected_datetime": None,
        "address": request.value("address_string") or None,
        "address_id": request.value("address_id") or None,
        "zipcode": None,
        "lat": request.value("lat") or None,
        "long": request.value("long") or None,
        "media_url": request.value("media_url") or None,
    }


def update_document(request: ServiceRequest, update: Update) -> dict[str, Any]:
    return {
        "update_id": update.update_id,
        "service_request_id": request.service_request_id,
        "status": update.status,
        "updated_datetime": _w3(update.at),
        "description": update.description,
        "media_url": None,
    }


def _element(tag: str, value: Any) -> etree._Element:
    element = etree.Element(tag)
    if isinstance(value, list):
        for item in value:
            element.append(_element(ITEMS.get(tag, "item"), item))
    elif isinstance(value, dict):
        for key, sub in value.items():
            element.append(_element(key, sub))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def _w3(moment: Any) -> str:
    return str(moment.isoformat(timespec="seconds").replace("+00:00", "Z"))
