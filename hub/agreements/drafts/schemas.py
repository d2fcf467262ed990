"""JSON Schemas inside an OpenAPI document: local ``$ref``s followed (a cycle stopped),
``allOf`` merged, and a request body's leaves as dotted paths — a ``oneOf``'s branches listed
above the first, which is taken, as for an ``xsd:choice``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hub.agreements.drafts.description import InputField
from hub.agreements.drafts.fields import choice_lines

MAX_DEPTH = 8


class Schemas:
    """The schemas of one document, read where they are met."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def deref(self, node: Any, seen: frozenset[str] = frozenset()) -> dict[str, Any]:
        """``node`` with its ``$ref`` (local ones) followed; {} for a cycle or a foreign ref."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#/") or ref in seen:
                return {}
            seen |= {ref}
            node = self.doc
            for part in ref[2:].split("/"):
                key = part.replace("~1", "/").replace("~0", "~")
                node = node.get(key, {}) if isinstance(node, dict) else {}
        return node if isinstance(node, dict) else {}

    def flattened(self, schema: dict[str, Any], depth: int = 0) -> dict[str, Any]:
        """``allOf`` merged into one schema's properties and required."""
        if "allOf" not in schema or depth > MAX_DEPTH:
            return schema
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        properties = dict(merged.get("properties", {}))
        required = list(merged.get("required", []))
        for part in schema["allOf"]:
            part = self.flattened(self.deref(part), depth + 1)
            properties.update(part.get("properties", {}))
            required += part.get("required", [])
        return {**merged, "properties": properties, "required": required}

    def fields(
        self,
        schema: dict[str, Any],
        prefix: str = "",
        required: bool = True,
        seen: frozenset[str] = frozenset(),
    ) -> list[InputField]:
        """The leaves of a body schema as dotted paths; ``seen``: the $refs already entered."""
        schema = self.flattened(schema)
        branches = schema.get("oneOf") or schema.get("anyOf")
        if len(seen) > MAX_DEPTH:
            return []
        if isinstance(branches, list) and branches:
            return self._choice(branches, prefix, required, seen)
        needed = set(schema.get("required", []))
        found = []
        for name, raw in schema.get("properties", {}).items():
            ref = raw.get("$ref") if isinstance(raw, dict) else None
            if ref in seen:
                continue  # a type within itself (a tree): its first level is enough
            sub = self._non_null(self.flattened(self.deref(raw)))
            path, inner = f"{prefix}{name}", required and name in needed
            if sub.get("properties") or sub.get("oneOf") or sub.get("anyOf"):
                found += self.fields(sub, f"{path}.", inner, seen | {ref or path})
            else:
                found.append(_field(path, inner, sub))
        return found

    def _non_null(self, schema: dict[str, Any]) -> dict[str, Any]:
        """A nullable field (``anyOf: [X, {type: null}]``, as pydantic writes ``X | None``) read
        as ``X``: it is one field that may be left out, not a choice between two."""
        branches = schema.get("anyOf") or schema.get("oneOf")
        if not isinstance(branches, list):
            return schema
        kept = [b for b in branches if self.deref(b).get("type") != "null"]
        if len(kept) != 1 or len(kept) == len(branches):
            return schema
        rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
        return {**rest, **self.flattened(self.deref(kept[0]))}

    def _choice(
        self, branches: list[Any], prefix: str, required: bool, seen: frozenset[str]
    ) -> list[InputField]:
        taken = [f for b in branches if (f := self.fields(self.deref(b), prefix, required, seen))]
        if not taken:
            return []
        named = [[field.path.removeprefix(prefix) for field in branch] for branch in taken]
        above = choice_lines("oneOf", prefix.rstrip(".") or "the body", named)
        first, *rest = taken[0]
        others = [replace(field, alternative=True) for branch in taken[1:] for field in branch]
        return [replace(first, above=above + first.above), *rest, *others]


def _field(path: str, required: bool, schema: dict[str, Any]) -> InputField:
    kind = str(schema.get("format") or schema.get("type") or "any")
    if schema.get("type") == "array":
        kind = f"list of {schema.get('items', {}).get('type', 'items')}"
    choices = tuple(str(value) for value in schema.get("enum", ()))
    return InputField(path, required, kind, choices=choices)
