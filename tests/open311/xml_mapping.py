"""An Open311 XML answer read back into the spec's JSON mapping, guided by the JSON schema of
the description, so the XML forms are judged by the same schemas as the JSON ones."""

from __future__ import annotations

from typing import Any

from lxml import etree


def resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def _types(schema: dict[str, Any], document: dict[str, Any]) -> set[str]:
    schema = resolve(schema, document)
    kinds = schema.get("type", [])
    found = {kinds} if isinstance(kinds, str) else set(kinds)
    for option in schema.get("oneOf", []) + schema.get("anyOf", []):
        found |= _types(option, document)
    return found


def _scalar(text: str | None, kinds: set[str]) -> Any:
    if not text:
        return None if "null" in kinds else (text or "")
    if "boolean" in kinds and text in ("true", "false"):
        return text == "true"
    for kind, cast in (("integer", int), ("number", float)):
        if kind in kinds and "string" not in kinds:
            try:
                return cast(text)
            except ValueError:
                return text
    return text


def _value(element: etree._Element, schema: dict[str, Any], document: dict[str, Any]) -> Any:
    schema = resolve(schema, document)
    kinds = _types(schema, document)
    if "array" in kinds:
        return [_value(child, schema.get("items", {}), document) for child in element]
    if "object" in kinds or "properties" in schema:
        properties = schema.get("properties", {})
        return {
            child.tag: _value(child, properties.get(child.tag, {}), document) for child in element
        }
    return _scalar(element.text, kinds)


def from_xml(body: bytes, root: str, schema: dict[str, Any], document: dict[str, Any]) -> Any:
    """The JSON the spec's mapping makes of ``body``; fails unless its root is ``root``."""
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>'), body[:60]
    element = etree.fromstring(body, parser=etree.XMLParser(resolve_entities=False))
    assert element.tag == root, f"root <{element.tag}>, the spec says <{root}>"
    return _value(element, schema, document)
