"""Building operation input from dotted paths, and reading answers with JMESPath.

zeep returns objects; ``zeep.helpers.serialize_object`` turns them into dicts and lists, which
the agreement's JMESPath expressions then read. Copies kept in receipts and updates are made
JSON-safe (datetimes as ISO 8601, decimals as strings) because the core stores them.
"""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import jmespath
from jmespath.parser import ParsedResult
from lxml import etree
from zeep.helpers import serialize_object

RAW_ELEMENTS = "_raw_elements"  # where zeep's strict=False puts what the schema does not name
_PLAIN_PATH = re.compile(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)*")


def with_value(fields: Mapping[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``fields`` with ``value`` set at the dotted ``path``."""
    result = copy.deepcopy(dict(fields))
    *parents, leaf = path.split(".")
    node = result
    for name in parents:
        node = node.setdefault(name, {})
    node[leaf] = value
    return result


def nested(path: str, value: Any) -> dict[str, Any]:
    """``nested("CaseNumbers.CaseNumber", [...])`` → ``{"CaseNumbers": {"CaseNumber": [...]}}``."""
    return with_value({}, path, value)


@functools.lru_cache(maxsize=256)
def compiled(expression: str) -> ParsedResult:
    return jmespath.compile(expression)


def read(expression: str, data: Any) -> Any:
    return compiled(expression).search(data)


def addressed(expression: str, data: Any) -> Any:
    """``data`` as ``expression`` expects it: a bare value (zeep unwraps a one-element answer)
    is put back under the expression's path, so ``TicketId`` reads it either way."""
    if isinstance(data, Mapping | list) or data is None or not _PLAIN_PATH.fullmatch(expression):
        return data
    return nested(expression, data)


def plain(answer: Any) -> Any:
    """A zeep answer as JSON-safe dicts, lists and scalars."""
    return jsonable(serialize_object(answer, dict))


def jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        result = {str(k): jsonable(item) for k, item in value.items() if k != RAW_ELEMENTS}
        # Lenient parsing keeps the elements the WSDL does not declare aside: read them too.
        for element in value.get(RAW_ELEMENTS) or ():
            result.setdefault(etree.QName(element).localname, _element_data(element))
        return result
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return value


def _element_data(element: etree._Element) -> Any:
    """An undeclared element as data: its text, or its children by local name."""
    if not len(element):
        return element.text
    data: dict[str, Any] = {}
    for child in element:
        if isinstance(child.tag, str):
            name, item = etree.QName(child).localname, _element_data(child)
            data[name] = [*as_list(data[name]), item] if name in data else item
    return data


def as_mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {"answer": value}


def as_list(value: Any) -> list[Any]:
    """zeep gives a lone item where the schema allows many: a one-item list then."""
    return value if isinstance(value, list) else [value]


def as_datetime(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return None
    return None
