"""Does the agency's WSDL accept what the agreement sends? One sentence per mismatch.

Checked before any referral is sent: the named operations exist on the bound port; every
mapping target (dotted for nested complex types), the idempotency field and the reference
field exist in the push operation's input; every required input field is filled; the poll
operations take the fields the settings name; the JMESPath expressions compile.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from zeep.xsd import ComplexType, Element
from zeep.xsd.types.base import Type

from connectors.soap import requirements
from connectors.soap.clients import SoapClient
from connectors.soap.inputs import ITEM, schema_path


def input_type(operation: Any) -> Type | None:
    body = getattr(operation.input, "body", None)
    return body.type if body is not None else None


def children(xsd_type: Type | None) -> dict[str, Element]:
    if not isinstance(xsd_type, ComplexType):
        return {}
    return {name: element for name, element in xsd_type.elements if isinstance(element, Element)}


def missing_field(xsd_type: Type | None, path: str, operation: str) -> str | None:
    """Why ``path`` does not exist in the input, or None when it does."""
    node_type = xsd_type
    walked: list[str] = []
    for name in path.split("."):
        fields = children(node_type)
        if name not in fields:
            where = (
                f"{'.'.join(walked)} in {operation}'s input" if walked else f"{operation}'s input"
            )
            offers = ", ".join(fields) or "no fields"
            return f"{where} has no field {name!r} (it has {offers})"
        walked.append(name)
        node_type = fields[name].type
    return None


def unfilled_required(
    xsd_type: Type | None, targets: Collection[str], prefix: str = ""
) -> list[str]:
    """Required fields no target fills, quoted (``'Subject'``, ``one of 'A' or 'B'``); a target
    naming a whole complex field fills it, and a choice needs one branch (``requirements``)."""
    return requirements.unfilled(xsd_type, targets, prefix)


def problems(client: SoapClient, settings: Mapping[str, Any], mapping: Iterable[str]) -> list[str]:
    found: list[str] = []
    offered = client.binding.all()
    names = settings["operations"]
    for role, name in names.items():
        if name not in offered:
            found.append(
                f"The WSDL has no operation {name!r} (the {role} operation); "
                f"it offers {', '.join(sorted(offered))}."
            )
    if names["push"] in offered:
        found += _push_problems(
            input_type(offered[names["push"]]), names["push"], settings, mapping
        )
    poll = settings["poll"]
    if names["poll"] in offered:
        why = missing_field(input_type(offered[names["poll"]]), poll["case_field"], names["poll"])
        if why:
            found.append(
                f"The poll setting case_field {poll['case_field']!r} does not exist: {why}."
            )
    batch = names.get("poll_batch")
    if batch and batch in offered:
        if "batch_field" not in poll:
            found.append(f"The batch operation {batch!r} is named but poll.batch_field is not set.")
        else:
            why = missing_field(input_type(offered[batch]), poll["batch_field"], batch)
            if why:
                found.append(
                    f"The poll setting batch_field {poll['batch_field']!r} does not exist: {why}."
                )
    found += _expression_problems(settings)
    return found


def _push_problems(
    xsd_type: Type | None, operation: str, settings: Mapping[str, Any], mapping: Iterable[str]
) -> list[str]:
    found = []
    extra = {"the idempotency field": settings.get("idempotency", {}).get("field")}
    extra["the reference field"] = settings.get("reference_field")
    targets = {schema_path(path): f"The mapping fills {path!r}" for path in mapping}
    for path in mapping:  # a list item picked by a key, e.g. DynamicField[Name=X], sets the key
        parts = path.split(".")
        for depth, part in enumerate(parts):
            if item := ITEM.match(part):
                keyed = ".".join([*parts[:depth], item["field"], item["key"]])
                targets.setdefault(schema_path(keyed), f"The mapping fills {path!r}")
    for name in settings.get("body_auth", {}):
        targets[name] = f"The setting body_auth fills {name!r}"
    if session := settings.get("session"):
        field = session.get("field", "SessionID")
        targets[field] = f"The session's id goes into {field!r}"
    for label, path in extra.items():
        if path:
            targets[path] = f"{label[0].upper()}{label[1:]} {path!r} is set"
    for path, subject in targets.items():
        why = missing_field(xsd_type, path, operation)
        if why:
            found.append(f"{subject}, but {why}.")
    for gap in unfilled_required(xsd_type, set(targets)):
        found.append(f"{operation} requires {gap}, which the mapping does not fill.")
    return found


def _expression_problems(settings: Mapping[str, Any]) -> list[str]:
    expressions = {"push.external_id": settings["push"]["external_id"]}
    for key in ("items", "external_id", "status", "result", "changed_at"):
        if key in settings["poll"]:
            expressions[f"poll.{key}"] = settings["poll"][key]
    found = []
    for key, expression in expressions.items():
        try:
            jmespath.compile(expression)
        except JMESPathError as exc:
            found.append(f"The setting {key} is not a valid JMESPath expression: {exc}.")
    return found
