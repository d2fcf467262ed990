"""Intake's first step: turn what a channel submitted into a normalised, schema-valid request.

``prepare_request`` collects every problem at once (schema errors and normalisation failures
such as a mistyped کد ملی) so the operator on the phone or the web form can fix them all in one
round, and raises :class:`hub.core.errors.ValidationFailed` with all of them. The citizen's own text
is kept as received beside the normalised document: normalisation must never lose what the
citizen actually wrote.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from hub.core.errors import FieldError, NormalizationError, ValidationFailed
from hub.intake.normalize import (
    check_received_at,
    normalize_mobile,
    normalize_national_id,
    normalize_text,
)
from hub.intake.schema import json_path, schema_errors

# (path in the document, normaliser). Paths absent from a document are skipped.
_NORMALISERS: tuple[tuple[tuple[str, ...], Callable[[str], str]], ...] = (
    (("subject",), normalize_text),
    (("description",), normalize_text),
    (("citizen", "first_name"), normalize_text),
    (("citizen", "last_name"), normalize_text),
    (("citizen", "national_id"), normalize_national_id),
    (("citizen", "mobile"), normalize_mobile),
    (("citizen", "email"), lambda email: email.strip().lower()),
    (("location", "county"), normalize_text),
    (("location", "city"), normalize_text),
    (("location", "address"), normalize_text),
    (("received_at",), check_received_at),
)
# The citizen's own words, kept as received under these names in PreparedRequest.original.
_ORIGINAL_TEXT = {
    "subject": ("subject",),
    "description": ("description",),
    "first_name": ("citizen", "first_name"),
    "last_name": ("citizen", "last_name"),
    "address": ("location", "address"),
}


@dataclass(frozen=True)
class PreparedRequest:
    """A request ready to store.

    ``document`` is normalised and valid against ``schemas/request.schema.json``; ``original``
    holds the citizen's text fields as received (subject, description, first_name, last_name,
    address — those present).
    """

    document: dict[str, Any]
    original: dict[str, str]


def prepare_request(raw: Mapping[str, Any]) -> PreparedRequest:
    """Validate and normalise ``raw``; raise ``ValidationFailed`` listing every problem."""
    document = copy.deepcopy(dict(raw)) if isinstance(raw, Mapping) else raw
    normalisation_errors = _normalise_in_place(document) if isinstance(document, dict) else []
    # Validate the normalised form: a subject of spaces only is too short once tidied.
    errors = schema_errors(document)
    flagged = {error.path for error in errors}
    errors += [error for error in normalisation_errors if error.path not in flagged]
    if errors:
        raise ValidationFailed(sorted(errors, key=lambda e: e.path))
    original = {name: value for name, path in _ORIGINAL_TEXT.items() if (value := _get(raw, path))}
    return PreparedRequest(document=document, original=original)


def _normalise_in_place(document: dict[str, Any]) -> list[FieldError]:
    errors = []
    for path, normaliser in _NORMALISERS:
        value = _get(document, path)
        if not isinstance(value, str):
            continue  # absent or of the wrong type: the schema check reports it
        try:
            _set(document, path, normaliser(value))
        except NormalizationError as exc:
            errors.append(FieldError(json_path(path), exc.message, exc.message_fa))
    return errors


def _get(document: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(document, Mapping):
            return None
        document = document.get(key)
    return document


def _set(document: dict[str, Any], path: tuple[str, ...], value: str) -> None:
    *parents, last = path
    for key in parents:
        document = document[key]
    document[last] = value
