"""What a reader found in an agency's own description of its system, in one neutral shape.

A reader (the WSDL one in ``connectors/soap/draft.py``, the OpenAPI one in ``openapi.py``) turns
the document into an :class:`AgencyDescription`: the push operation's input fields as dotted
paths, the connector's settings block already written (it knows its connector's keys), and the
status values the description enumerates. ``render.py`` writes the agreement from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.agreements.drafts.commented import Block
from hub.core.errors import HubError


class DescriptionError(HubError):
    """The agency's description cannot be read, or is not one; says why."""


class UnknownOperation(DescriptionError):
    """The description has no such push operation (or it cannot push); names the ones it has."""


@dataclass(frozen=True)
class InputField:
    """One leaf of the push operation's input."""

    path: str  # dotted for nested types: Subscriber.Mobile
    required: bool
    type_name: str  # string, int, dateTime, the named type …
    choices: tuple[str, ...] = ()  # the values it accepts, when the description lists them
    above: tuple[str, ...] = ()  # what to say above it (the branches of an xsd:choice)
    alternative: bool = False  # in a branch not taken: shown commented out
    carried_by: str | None = None  # a connector setting that fills it (idempotency field …)


@dataclass(frozen=True)
class StatusValue:
    code: str
    label: str = ""  # the description's own words for it (xsd:documentation, x-enum-…)


@dataclass(frozen=True)
class AgencyDescription:
    connector_type: str  # rest, soap
    source: str  # the URL or file it was read from
    service: str  # the name the system gives itself
    operation: str  # the push operation
    fields: tuple[InputField, ...]
    settings: Block  # connector.settings, with its comments
    summary: str = ""  # the system's own words about itself
    statuses: tuple[StatusValue, ...] = ()
    statuses_from: str = ""  # where the statuses were read, or why none were
    idempotency: str = ""  # what the description says about de-duplication, for the comment
    notes: tuple[str, ...] = field(default=())  # what the reader could not map, for the header
