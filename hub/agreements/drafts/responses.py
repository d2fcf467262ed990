"""What a JSON answer holds, read from its schema: its fields as JMESPath paths, and the list of
items when it is a list (or holds one), with a guess of which field is the case id, the status,
the result and the time of the last change."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hub.agreements.drafts.guesses import answer_role
from hub.agreements.drafts.schemas import MAX_DEPTH, Schemas

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Leaf:
    path: str  # JMESPath
    name: str
    schema: dict[str, Any]


@dataclass(frozen=True)
class ResponseShape:
    leaves: list[Leaf]
    items: str | None = None  # JMESPath to the list, when the answer is (or holds) one
    lists: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def role(self, role: str) -> Leaf | None:
        found = [leaf for leaf in self.leaves if answer_role(leaf.name) == role]
        enumerated = [leaf for leaf in found if leaf.schema.get("enum")]
        return next(iter(enumerated or found), None)


def segment(name: str) -> str:
    return name if _IDENTIFIER.fullmatch(name) else '"' + name.replace('"', '\\"') + '"'


def shape(schemas: Schemas, schema: dict[str, Any]) -> ResponseShape:
    """The answer's fields; a list answer (or one whose only fields are lists) by its items."""
    if schema.get("type") == "array" or ("items" in schema and "properties" not in schema):
        item = schemas.flattened(schemas.deref(schema.get("items")))
        return ResponseShape(_walk(schemas, item, "", frozenset())[0], items="@")
    leaves, lists = _walk(schemas, schema, "", frozenset())
    if not leaves and lists:
        path, item = lists[0]
        return ResponseShape(_walk(schemas, item, "", frozenset())[0], items=path, lists=lists)
    return ResponseShape(leaves, items=lists[0][0] if lists else None, lists=lists)


def _walk(
    schemas: Schemas, schema: dict[str, Any], prefix: str, seen: frozenset[str]
) -> tuple[list[Leaf], list[tuple[str, dict[str, Any]]]]:
    leaves: list[Leaf] = []
    lists: list[tuple[str, dict[str, Any]]] = []
    if len(seen) > MAX_DEPTH:
        return leaves, lists
    for name, raw in schemas.flattened(schema).get("properties", {}).items():
        ref = raw.get("$ref") if isinstance(raw, dict) else None
        if ref in seen:
            continue  # a type within itself: its first level is enough
        sub = schemas.flattened(schemas.deref(raw))
        path = f"{prefix}{segment(name)}"
        if sub.get("properties"):
            inner_leaves, inner_lists = _walk(schemas, sub, f"{path}.", seen | {ref or path})
            leaves += inner_leaves
            lists += inner_lists
        elif sub.get("type") == "array":
            item = schemas.flattened(schemas.deref(sub.get("items")))
            if item.get("properties"):
                lists.append((path, item))
        else:
            leaves.append(Leaf(path, name, sub))
    return leaves, lists
