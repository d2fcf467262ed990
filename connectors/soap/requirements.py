"""Which fields of an operation's input must be filled, ``xsd:choice`` branches included.

A sequence needs each required child; a choice needs one branch — an element, or a nested
sequence of several — so a required element inside one branch is not missing when the mapping
fills another (Znuny's Article takes ``ContentType`` or ``Charset`` with ``MimeType``). Where the
mapping touches a branch, that branch is the one it chose and only its gaps are reported; where
it touches none, the choice is reported once, naming every branch.

zeep marks an element directly under a choice optional (``minOccurs=0``) whatever the WSDL
says, so such a branch is read as the required element it almost always is.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from zeep.xsd import ComplexType, Element
from zeep.xsd.elements.indicators import Choice, Group, OrderIndicator
from zeep.xsd.types.base import Type


def unfilled(xsd_type: Type | None, targets: Collection[str], prefix: str = "") -> list[str]:
    """What no target fills, each quoted for a sentence: ``'Subject'`` or ``one of … or …``.

    A target naming a whole complex field fills it; an optional complex field is looked into
    only when a target fills something inside it.
    """
    if not isinstance(xsd_type, ComplexType):
        return []
    found: list[str] = []
    for _, particle in xsd_type.elements_nested:
        found += _particle(particle, targets, prefix)
    return found


def _particle(particle: Any, targets: Collection[str], prefix: str) -> list[str]:
    """What a particle that must appear still lacks."""
    if isinstance(particle, Element):
        return _element(particle, targets, prefix)
    if isinstance(particle, Group):
        return _particle(particle.child, targets, prefix)
    if isinstance(particle, Choice):
        return _choice(particle, targets, prefix)
    if isinstance(particle, OrderIndicator):  # a sequence or an all
        return [
            gap
            for child in particle
            if _required(child) or _touched(child, targets, prefix)
            for gap in _particle(child, targets, prefix)
        ]
    return []  # xsd:any takes whatever comes


def _element(element: Element, targets: Collection[str], prefix: str) -> list[str]:
    path = f"{prefix}{element.attr_name}"
    if path in targets:
        return []
    if isinstance(element.type, ComplexType):
        return unfilled(element.type, targets, f"{path}.")
    return [repr(path)]


def _choice(choice: Choice, targets: Collection[str], prefix: str) -> list[str]:
    branches = [list(_particle(branch, targets, prefix)) for branch in choice]
    if not branches or any(not gaps for gaps in branches):
        return []
    chosen = [
        gaps
        for branch, gaps in zip(choice, branches, strict=True)
        if _touched(branch, targets, prefix)
    ]
    if chosen:
        return min(chosen, key=len)
    described = [gaps[0] if len(gaps) == 1 else f"({' and '.join(gaps)})" for gaps in branches]
    return [f"one of {', '.join(described[:-1])} or {described[-1]}"]


def _required(particle: Any) -> bool:
    return int(getattr(particle, "min_occurs", 1) or 0) > 0


def _touched(particle: Any, targets: Collection[str], prefix: str) -> bool:
    """Does any target fill this particle, or something inside it?"""
    if isinstance(particle, Element):
        path = f"{prefix}{particle.attr_name}"
        return any(target == path or target.startswith(f"{path}.") for target in targets)
    if isinstance(particle, Group):
        return _touched(particle.child, targets, prefix)
    if isinstance(particle, OrderIndicator):
        return any(_touched(child, targets, prefix) for child in particle)
    return False
