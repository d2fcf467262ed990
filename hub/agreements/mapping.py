"""Applying an agreement's field mapping: the shared request → the agency's own fields.

Each entry maps an agency field path (dots make nested objects) to a source: a JMESPath
expression over the mapping document, ``{const: value}``, or ``{expr, values, default}`` to
translate codes. The mapping document is the normalised request plus ``referral`` (reference,
tracking code, idempotency key, deadlines as ISO strings).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult

from hub.core.errors import AgreementProblem

CITIZEN_FIELDS = ("national_id", "first_name", "last_name", "mobile", "email")


@functools.lru_cache(maxsize=4096)
def compile_expression(expression: str) -> ParsedResult:
    return jmespath.compile(expression)


ENV_WRITTEN = re.compile(r"\$\{env:[^}]*\}")


def _env_references(source: Any) -> list[str]:
    """The ``${env:NAME}`` written anywhere in a mapping source."""
    if isinstance(source, str):
        return ENV_WRITTEN.findall(source)
    if isinstance(source, Mapping):
        return [found for value in source.values() for found in _env_references(value)]
    if isinstance(source, list):
        return [found for value in source for found in _env_references(value)]
    return []


def mapping_problems(mapping: Mapping[str, Any], file: str) -> list[AgreementProblem]:
    """Expressions that do not parse, and secrets written where they would be sent as written,
    named by key path."""
    problems = []
    for target, source in mapping.items():
        if written := _env_references(source):
            message = (
                f"{written[0]} is not resolved in a mapping: it would be sent to the agency as "
                "written; put credentials in connector.settings (the SOAP connector's body_auth)"
            )
            problems.append(AgreementProblem(file, f"mapping.{target}", message))
            continue
        expression = source if isinstance(source, str) else source.get("expr")
        if expression is None:
            continue
        try:
            compile_expression(expression)
        except JMESPathError as exc:
            problems.append(AgreementProblem(file, f"mapping.{target}", f"bad expression: {exc}"))
    return problems


_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


@functools.lru_cache(maxsize=4096)
def searcher(expression: str) -> Callable[[Any], Any]:
    """A function giving the expression's value in a document.

    Most mapping entries are plain field paths (``citizen.mobile``); those are read with dict
    look-ups, exactly as JMESPath reads them (a missing key or a non-object on the way gives
    None) without walking its parse tree — which was a tenth of a delivery worker's CPU. Any
    other expression is JMESPath's own.
    """
    if not _FIELD_PATH.fullmatch(expression):
        return compile_expression(expression).search
    names = tuple(expression.split("."))

    def field(document: Any) -> Any:
        for name in names:
            if not isinstance(document, Mapping):
                return None
            document = document.get(name)
        return document

    return field


def _evaluate(source: Any, document: Mapping[str, Any]) -> Any:
    if isinstance(source, str):
        return searcher(source)(document)
    if "const" in source:
        return source["const"]
    value = searcher(source["expr"])(document)
    values = source.get("values")
    if values is not None:
        return values.get(str(value), source.get("default"))
    return source.get("default") if value is None else value


def _assign(target: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def apply_mapping(mapping: Mapping[str, Any], document: Mapping[str, Any]) -> dict[str, Any]:
    """The agency's fields for this document; fields whose source is empty are left out."""
    fields: dict[str, Any] = {}
    for target, source in mapping.items():
        value = _evaluate(source, document)
        if value is not None:
            _assign(fields, target, value)
    return fields


def shared_view(request_document: Mapping[str, Any], share_citizen: tuple[str, ...]) -> dict:
    """The request as an agency may see it: citizen fields outside ``share_citizen`` removed."""
    view = dict(request_document)
    citizen = request_document.get("citizen", {})
    view["citizen"] = {k: v for k, v in citizen.items() if k in share_citizen}
    return view
