"""GeoReport v2 answers, JSON or XML, read into plain Python: lists of dicts of text.

Both formats carry the same documents (``services``, ``service_definition``, ``service_requests``,
``errors``, ``service_request_updates``); an XML container of repeated elements becomes a list,
any other element with children a dict, a leaf its text. XML is parsed with defusedxml: an
agency's answer cannot make the hub fetch entities or expand a billion laughs.
"""

from __future__ import annotations

import json
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

# Elements whose children are the items of a list (the spec's "⇊" rows).
LISTS = frozenset(
    {
        "services",
        "service_requests",
        "errors",
        "attributes",
        "values",
        "service_request_updates",
        "endpoints",
        "formats",
    }
)


class Unreadable(ValueError):
    """The body is not the JSON or XML it says it is."""


def read(body: bytes, format: str) -> Any:
    """The document in ``body``: parsed JSON, or the XML root as lists and dicts."""
    if format == "json":
        try:
            return json.loads(body)
        except ValueError as exc:
            raise Unreadable(f"not JSON: {exc}") from exc
    try:
        root = fromstring(body)
    except (ParseError, DefusedXmlException) as exc:
        raise Unreadable(f"not XML: {exc}") from exc
    return {root.tag: _python(root)}


def _python(element: Element) -> Any:
    children = list(element)
    if element.tag in LISTS:
        return [_python(child) for child in children]
    if not children:
        return (element.text or "").strip()
    return {child.tag: _python(child) for child in children}


def items(document: Any, root: str) -> list[Any]:
    """The list a GeoReport document carries: JSON's bare list (or ``{root: [...]}``), XML's
    ``<root>`` children."""
    if isinstance(document, dict) and root in document:
        document = document[root]
    if isinstance(document, list):
        return document
    raise Unreadable(f"no {root} list in the answer")


def errors(document: Any) -> list[tuple[str, str]]:
    """(code, description) of each error of an ``errors`` answer; [] when it is none."""
    try:
        found = items(document, "errors")
    except Unreadable:
        return []
    return [
        (str(error.get("code", "")), str(error.get("description", "")))
        for error in found
        if isinstance(error, dict)
        and ("description" in error or "code" in error)
        and not ({"service_request_id", "token"} & error.keys())  # a request, not an error
    ]
