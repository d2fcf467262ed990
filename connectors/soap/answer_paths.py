"""Do the agreement's response paths name elements of the WSDL's answer types?

``push.external_id`` and the poll fields are JMESPath expressions over an answer as zeep gives
it: the answer element's children, except that an answer with a single child (and no
attributes) comes back as that child — a ``Receipt``, a list of ``CaseStatus``, or a bare value.
The plain parts of an expression (fields, ``@``, ``[*]``, ``[0]``, ``[]``, pipes, ``||``) are
walked over that type; a field it does not have is a sentence naming what it has. Whatever the
walk cannot see through (functions, ``xsd:any``, literals) is taken on trust.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from zeep.xsd import ComplexType, Element
from zeep.xsd.types.base import Type

PLAIN_PATH = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")


class NoSuchElement(Exception):
    """The expression names a field the answer's type does not have."""


@dataclass(frozen=True)
class Shape:
    """Where a walk is in an answer: its XSD type (None: unknown, anything goes)."""

    xsd_type: Type | None
    where: str
    many: bool = False
    walked: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"{'.'.join(self.walked)} in {self.where}" if self.walked else self.where


def answer_shape(operation: Any, name: str) -> Shape:
    """The answer of ``operation`` as zeep hands it to the connector."""
    output = operation.output
    body = getattr(output, "body", None)
    header = getattr(getattr(output, "header", None), "type", None)
    if body is None or (isinstance(header, ComplexType) and header.elements):
        return Shape(None, f"{name}'s answer")  # zeep then gives body and header: not walked
    body_type = body.type
    if isinstance(body_type, ComplexType) and not body_type.attributes:
        elements = body_type.elements
        if len(elements) == 1:
            child_name, child = elements[0]
            if not isinstance(child, Element):
                return Shape(None, f"{name}'s answer")
            many = child.accepts_multiple
            what = f"a list of {child_name}" if many else child_name
            return Shape(child.type, f"{name}'s answer (its one element, {what})", many)
    return Shape(body_type, f"{name}'s answer")


def path_problem(expression: str, shape: Shape, bare_value_ok: bool = False) -> str | None:
    """Why ``expression`` names no element of ``shape``, or None.

    ``bare_value_ok``: the connector puts a bare answer back under a plain path (the push's
    case id), so any plain path reads it.
    """
    if bare_value_ok and _is_plain_value(shape) and PLAIN_PATH.fullmatch(expression):
        return None
    try:
        _walk(jmespath.compile(expression).parsed, shape)
    except JMESPathError:
        return None  # reported as an invalid expression elsewhere
    except NoSuchElement as exc:
        return str(exc)
    return None


def item_shape(expression: str, shape: Shape) -> Shape:
    """One item of the list ``expression`` picks out of ``shape`` (a lone item is one too)."""
    try:
        items = _walk(jmespath.compile(expression).parsed, shape)
    except (JMESPathError, NoSuchElement):
        return Shape(None, shape.where)
    return replace(items, many=False, where=f"one case in {shape.where}", walked=())


def _walk(node: Mapping[str, Any], shape: Shape) -> Shape:
    if shape.xsd_type is None:
        return shape
    kind, children = node["type"], node.get("children", [])
    if kind == "field":
        return _field(shape, node["value"])
    if kind in ("subexpression", "pipe"):
        return _walk(children[1], _walk(children[0], shape))
    if kind in ("current", "identity"):
        return shape
    if kind == "index_expression":
        return replace(_walk(children[0], shape), many=False)
    if kind == "flatten":
        return _walk(children[0], shape)
    if kind in ("projection", "filter_projection"):
        each = replace(_walk(children[0], shape), many=False)
        return replace(_walk(children[1], each), many=True)
    if kind in ("or_expression", "and_expression"):
        for child in children:
            _walk(child, shape)
    return Shape(None, shape.where)


def _field(shape: Shape, name: str) -> Shape:
    # A field of a list is null in JMESPath; zeep's lists are taken as their items here, so that
    # a schema allowing many where the agency sends one raises no false alarm.
    xsd_type = shape.xsd_type
    if not isinstance(xsd_type, ComplexType):
        raise NoSuchElement(f"{shape.label} is a plain value, with no element {name!r}")
    elements = dict(xsd_type.elements)
    attributes = dict(xsd_type.attributes)
    if name in attributes:
        return Shape(attributes[name].type, shape.where, walked=(*shape.walked, name))
    if name not in elements:
        offers = ", ".join([*elements, *attributes]) or "no elements"
        raise NoSuchElement(f"{shape.label} has no element {name!r} (it has {offers})")
    element = elements[name]
    if not isinstance(element, Element):
        return Shape(None, shape.where)
    walked = (*shape.walked, name)
    return Shape(element.type, shape.where, element.accepts_multiple, walked)


def _is_plain_value(shape: Shape) -> bool:
    return shape.xsd_type is not None and not isinstance(shape.xsd_type, ComplexType)
