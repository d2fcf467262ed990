"""Answers in the two formats of GeoReport v2, chosen by the URL's suffix (``.json``, ``.xml``).

The JSON is the spec's mapping of its XML (the Spark convention): a list of requests is a JSON
array, the XML wraps the same items in a root element (``<service_requests><request>…``). XML is
built with lxml, never by joining strings.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any

from fastapi.responses import JSONResponse, Response
from lxml import etree


class Format(StrEnum):
    JSON = "json"
    XML = "xml"

    @property
    def media_type(self) -> str:
        return "application/json" if self is Format.JSON else "text/xml"


# The declaration as the spec's examples write it (lxml's own uses single quotes).
DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

# A list's element name → the name of each item in XML (the JSON has the list alone).
_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "errors": "error",
}


def split_suffix(name: str) -> tuple[str, Format | None]:
    """``water.leak.json`` → (``water.leak``, JSON); without a known suffix → (name, None)."""
    stem, dot, suffix = name.rpartition(".")
    if dot and suffix.lower() in ("json", "xml"):
        return stem, Format(suffix.lower())
    return name, None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(parent: etree._Element, name: str, value: Any) -> None:
    element = etree.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _fill(element, key, item)
    elif isinstance(value, list | tuple):
        for item in value:
            _fill(element, _ITEMS.get(name, "item"), item)
    else:
        element.text = _text(value)


def xml_document(root: str, body: Mapping[str, Any] | Sequence[Any]) -> bytes:
    """``body`` as an XML document under ``root``: a list becomes its items, a mapping fields."""
    element = etree.Element(root)
    if isinstance(body, Mapping):
        for key, value in body.items():
            _fill(element, key, value)
    else:
        for item in body:
            _fill(element, _ITEMS[root], item)
    return DECLARATION + etree.tostring(element, encoding="utf-8", pretty_print=True)


def answer(
    fmt: Format,
    root: str,
    body: Mapping[str, Any] | Sequence[Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``body`` in ``fmt``: JSON as it is, XML under ``root``; UTF-8 either way (the spec)."""
    if fmt is Format.JSON:
        return JSONResponse(
            body,
            status_code=status,
            headers=dict(headers or {}),
            media_type="application/json; charset=utf-8",
        )
    return Response(
        xml_document(root, body),
        status_code=status,
        headers=dict(headers or {}),
        media_type="text/xml; charset=utf-8",
    )
