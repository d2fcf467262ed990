"""Lists of complex items in an operation's input: ``DynamicField[Name=SamadReference].Value``.

A dotted path names one field of nested complex types; a segment ``Field[Key=Label]`` names the
item of the list ``Field`` whose ``Key`` is ``Label``, so one mapping can fill several items of
one list — Znuny's dynamic fields, each a ``{Name, Value}``::

    DynamicField[Name=SamadReference].Value: referral.reference
    DynamicField[Name=SamadTrackingCode].Value: tracking_code

gives ``DynamicField: [{Name: SamadReference, Value: R-…}, {Name: SamadTrackingCode, Value: …}]``
(items in the order first named). An item exists only when one of its fields has a value: an
empty source leaves the whole item out. ``Label`` is letters, digits, ``_`` and ``-``.

The core applies the mapping with plain dotted paths, so ``Field[Key=Label]`` arrives here as one
key; ``expanded`` turns such keys into the lists the WSDL wants, right before a call.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

ITEM = re.compile(r"^(?P<field>[A-Za-z_]\w*)\[(?P<key>[A-Za-z_]\w*)=(?P<label>[\w-]+)\]$")


def expanded(fields: Mapping[str, Any]) -> dict[str, Any]:
    """``fields`` with every ``Field[Key=Label]`` key gathered into the list ``Field``."""
    result: dict[str, Any] = {}
    for name, value in fields.items():
        value = expanded(value) if isinstance(value, Mapping) else value
        match = ITEM.match(name)
        if match is None:
            result[name] = value
            continue
        if not isinstance(value, Mapping) or not value:
            continue  # an item whose fields are all empty is left out
        items = result.setdefault(match["field"], [])
        items = result[match["field"]] = items if isinstance(items, list) else [items]
        selector = {match["key"]: match["label"]}
        same = [item for item in items if isinstance(item, dict) and _has(item, selector)]
        if same:
            same[0].update(value)
        else:
            items.append({**selector, **value})
    return result


def _has(item: Mapping[str, Any], selector: Mapping[str, str]) -> bool:
    return all(item.get(key) == label for key, label in selector.items())


def schema_path(path: str) -> str:
    """The path as the WSDL's types see it: ``DynamicField[Name=X].Value`` → ``DynamicField.Value``
    (for comparing a mapping with the WSDL)."""
    return ".".join(
        match["field"] if (match := ITEM.match(part)) else part for part in path.split(".")
    )
