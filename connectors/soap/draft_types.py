"""A WSDL's operations as a draft needs them: the leaves of an input as dotted paths (nested
types, the branches of an ``xsd:choice``), an answer as the connector will read it, and what
zeep does not keep — the values an ``xsd:enumeration`` lists and the documentation of each.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, cast

from lxml import etree
from zeep.loader import parse_xml
from zeep.xsd import ComplexType, Element
from zeep.xsd.elements.indicators import Choice, Group, OrderIndicator
from zeep.xsd.types.base import Type

from connectors.soap import wsdl_check
from connectors.soap.clients import SoapClient
from hub.agreements.drafts.description import StatusValue
from hub.agreements.drafts.fields import choice_lines
from hub.agreements.drafts.guesses import answer_role
from hub.core.errors import ConnectorError

XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
Enumerations = tuple[dict[str, tuple[StatusValue, ...]], dict[str, tuple[StatusValue, ...]]]


@dataclass(frozen=True)
class Leaf:
    """A simple-valued element (or a list) at a dotted path, as the walk found it."""

    path: str
    element: Element
    required: bool
    above: tuple[str, ...] = ()
    alternative: bool = False

    @property
    def name(self) -> str:
        return self.path.rpartition(".")[2]

    @property
    def many(self) -> bool:
        return bool(self.element.accepts_multiple)


@dataclass(frozen=True)
class Answer:
    """An operation's answer as the connector reads it."""

    leaves: list[Leaf]
    items: str | None = None  # JMESPath to the list of items, when the answer is a list
    bare: bool = False  # one simple element: zeep returns its bare value

    def role(self, role: str) -> Leaf | None:
        return next((leaf for leaf in self.leaves if answer_role(leaf.name) == role), None)


def leaves(xsd_type: Type | None, prefix: str = "", required: bool = True) -> list[Leaf]:
    """Every simple-valued element below ``xsd_type``, nested complex types as dotted paths."""
    if not isinstance(xsd_type, ComplexType):
        return []
    return [
        leaf
        for _, particle in xsd_type.elements_nested
        for leaf in _particle(particle, prefix, required)
    ]


def _particle(particle: Any, prefix: str, required: bool) -> list[Leaf]:
    if isinstance(particle, Element):
        return _element(particle, prefix, required)
    # zeep calls every xsd:choice optional; minOccurs says whether this one is.
    inner = required and particle.min_occurs != 0
    if isinstance(particle, Choice):
        return _choice(particle, prefix, inner)
    if isinstance(particle, Group):
        return _particle(particle.child, prefix, inner)
    if isinstance(particle, OrderIndicator):  # xsd:sequence, xsd:all
        return [leaf for child in particle for leaf in _particle(child, prefix, inner)]
    return []  # xsd:any: nothing to map by name


def _element(
    element: Element, prefix: str, required: bool, optional: bool | None = None
) -> list[Leaf]:
    path = f"{prefix}{element.name}"
    required = required and not (element.is_optional if optional is None else optional)
    nested = isinstance(element.type, ComplexType) and element.type.elements
    if nested and not element.accepts_multiple:
        return leaves(element.type, f"{path}.", required)
    return [Leaf(path, element, required)]


def _choice(choice: Choice, prefix: str, required: bool) -> list[Leaf]:
    """The first branch's fields, the branches listed above them, the others commented out."""
    branches = [found for branch in choice if (found := _branch(branch, prefix, required))]
    if not branches:
        return []
    named = [[leaf.path.removeprefix(prefix) for leaf in branch] for branch in branches]
    above = choice_lines("xsd:choice", prefix.rstrip(".") or "the input", named)
    first, *rest = branches[0]
    taken = [replace(first, above=above + first.above), *rest]
    return taken + [replace(leaf, alternative=True) for branch in branches[1:] for leaf in branch]


def _branch(branch: Any, prefix: str, required: bool) -> list[Leaf]:
    if isinstance(branch, Element):  # zeep calls it optional, whatever its minOccurs says
        return _element(branch, prefix, required, optional=False)
    return _particle(branch, prefix, required)


def answer(operation: Any) -> Answer:
    """What the connector reads from ``operation``'s answer: zeep gives an answer of one element
    as that element's value (a bare value, a list, or the one complex element's content)."""
    body = getattr(operation.output, "body", None)
    xsd_type = body.type if body is not None else None
    children = wsdl_check.children(xsd_type)
    if len(children) == 1 and not getattr(xsd_type, "attributes", None):
        (only,) = children.values()
        if not (isinstance(only.type, ComplexType) and only.type.elements):
            return Answer([Leaf(str(only.name), only, True)], bare=True)
        return Answer(leaves(only.type), items="@" if only.accepts_multiple else None)
    found = leaves(xsd_type)
    lists = [leaf for leaf in found if leaf.many and isinstance(leaf.element.type, ComplexType)]
    if lists:
        return Answer(leaves(lists[0].element.type), items=lists[0].path)
    return Answer(found)


# --- reading the documents themselves: zeep keeps neither enumerations nor documentation -----


def documents(client: SoapClient) -> list[etree._Element]:
    wsdl = client.zeep.wsdl
    # zeep remembers where each schema came from only in SchemaDocument._location.
    locations = [wsdl.location, *(getattr(d, "_location", None) for d in wsdl.types.documents)]
    roots = []
    for location in dict.fromkeys(loc for loc in locations if loc):
        try:
            # Bytes, as zeep passes them itself: its hint says str, which lxml refuses when the
            # document declares its encoding.
            content = cast(str, client.transport.load(location))
            roots.append(parse_xml(content, client.transport, location, client.zeep.settings))
        except (OSError, etree.LxmlError, ConnectorError):
            continue  # zeep read it a moment ago; without it only the labels are missing
    return roots


def _documentation(node: etree._Element) -> str:
    texts = node.iter(f"{{{XSD}}}documentation", f"{{{WSDL}}}documentation")
    return " ".join(" ".join((text.text or "").split()) for text in texts).strip()


def enumerations(roots: list[etree._Element]) -> Enumerations:
    """Enumerated values with their documentation: by simple type name, by element name."""
    by_type: dict[str, tuple[StatusValue, ...]] = {}
    by_element: dict[str, tuple[StatusValue, ...]] = {}
    for root in roots:
        for schema in root.iter(f"{{{XSD}}}schema"):
            namespace = schema.get("targetNamespace", "")
            for simple in schema.iter(f"{{{XSD}}}simpleType"):
                values = tuple(
                    StatusValue(str(value.get("value")), _documentation(value))
                    for value in simple.iter(f"{{{XSD}}}enumeration")
                )
                parent = simple.getparent()
                if values and simple.get("name"):
                    by_type[f"{{{namespace}}}{simple.get('name')}"] = values
                elif values and parent is not None and parent.get("name"):
                    by_element[str(parent.get("name"))] = values
    return by_type, by_element


def service_summary(roots: list[etree._Element], service: str) -> str:
    for root in roots[:1]:
        for node in root.iter(f"{{{WSDL}}}service"):
            if node.get("name") == service:
                return _documentation(node)
    return ""
