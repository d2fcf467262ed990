"""The shared request schema (``schemas/request.schema.json``), loaded once, and its errors.

The schema file is the one source of truth for what a request looks like; this module only reads
it. Every jsonschema error is translated here, at the edge, into a
:class:`hub.core.errors.FieldError` with a JSON path (``$.citizen.mobile``), an English message and
a
Persian one. A missing field and an unexpected key are reported at the path of that field or
key, so a form can put the message next to the right box.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import cache
from types import MappingProxyType
from typing import Any, cast

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from hub.core.errors import FieldError, ValidationFailed
from hub.core.shipped import SCHEMAS_DIR
from hub.intake.normalize import ascii_digits

SCHEMA_PATH = SCHEMAS_DIR / "request.schema.json"

_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_TYPE_NAMES_FA = {
    "string": "متن",
    "number": "عدد",
    "integer": "عدد صحیح",
    "object": "شیء (مجموعهٔ فیلدها)",
    "array": "فهرست",
    "boolean": "درست/نادرست",
    "null": "تهی",
}
_FORMAT_NAMES = {
    "email": (
        "an email address such as name@example.ir",
        "نشانی ایمیل معتبر (مانند name@example.ir)",
    ),
    "date-time": (
        "an RFC 3339 date-time such as 2025-03-21T09:30:00+03:30",
        "تاریخ و زمان در قالب RFC 3339 (مانند 2025-03-21T09:30:00+03:30)",
    ),
}


@cache
def request_schema() -> Mapping[str, Any]:
    """The parsed schema, read from disk on first use."""
    with SCHEMA_PATH.open(encoding="utf-8") as handle:
        schema = json.load(handle)
    Draft202012Validator.check_schema(schema)
    return MappingProxyType(schema)


def _is_email(value: object) -> bool:
    # jsonschema's own email check only looks for an "@"; "ali@" would pass it.
    return not isinstance(value, str) or bool(_EMAIL.fullmatch(value))


@cache
def _validator() -> Draft202012Validator:
    formats = FormatChecker()
    formats.checks("email")(_is_email)
    return Draft202012Validator(dict(request_schema()), format_checker=formats)


@cache
def _quick_check() -> jsonschema_rs.Draft202012Validator:
    """The same schema and formats compiled by jsonschema-rs, which tells a valid request (nearly
    every one) valid in about a microsecond where jsonschema takes ~90; an invalid one is then
    explained field by field by :func:`_validator`. It must never pass what jsonschema refuses
    (tests/intake/test_request_schema.py); where it is stricter, a request only takes the long
    way round and jsonschema decides."""
    return jsonschema_rs.Draft202012Validator(
        dict(request_schema()), formats={"email": _is_email}, validate_formats=True
    )


def _plain_json(value: Any) -> bool:
    """Whether ``value`` is made of JSON's own types only (what a parsed body is). jsonschema-rs
    reads other Python values its own way — a tuple as an array, which jsonschema refuses — or
    not at all (bytes); those go the long way round."""
    kind = type(value)
    if kind is dict:
        return all(type(key) is str and _plain_json(item) for key, item in value.items())
    if kind is list:
        return all(_plain_json(item) for item in value)
    return kind in _JSON_LEAVES


_JSON_LEAVES = frozenset({str, int, float, bool, type(None)})


CHANNELS: tuple[str, ...] = tuple(request_schema()["properties"]["channel"]["enum"])
REQUEST_TYPES: tuple[str, ...] = tuple(request_schema()["properties"]["type"]["enum"])
TYPE_LABELS_FA: Mapping[str, str] = MappingProxyType(
    dict(request_schema()["properties"]["type"]["x-labels-fa"])
)


def schema_errors(document: Any) -> list[FieldError]:
    """Every way ``document`` breaks the schema, one :class:`FieldError` per field, by path."""
    if _plain_json(document) and _quick_check().is_valid(document):
        return []  # the common case, without building jsonschema's error tree
    found: dict[tuple[str, str], FieldError] = {}
    for error in _validator().iter_errors(document):
        for field_error in _translate(error):
            found.setdefault((field_error.path, field_error.message), field_error)
    return sorted(found.values(), key=lambda e: e.path)


def validate_request(document: Any) -> None:
    """Raise :class:`ValidationFailed` listing every schema error; return quietly otherwise."""
    errors = schema_errors(document)
    if errors:
        raise ValidationFailed(errors)


def json_path(parts: Sequence[str | int]) -> str:
    """``["citizen", "mobile"]`` → ``$.citizen.mobile``; list indices as ``[0]``."""
    path = "$"
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _fa(number: object) -> str:
    return ascii_digits(str(number)).translate(_PERSIAN_DIGITS)


def _translate(error: ValidationError) -> Iterator[FieldError]:
    parts = list(error.absolute_path)
    path = json_path(parts)
    # The stubs allow these fields to be unset (a hand-built error); an error from iter_errors
    # always has them, and our schemas have no boolean subschemas, so `schema` is a mapping.
    keyword, expected = cast(str, error.validator), cast(Any, error.validator_value)
    schema = cast(Mapping[str, Any], error.schema)
    if keyword == "required":
        for name in expected:
            if isinstance(error.instance, Mapping) and name not in error.instance:
                yield FieldError(
                    json_path([*parts, name]), "is required", f"فیلد «{name}» الزامی است."
                )
    elif keyword == "additionalProperties":
        allowed = schema.get("properties", {})
        for name in cast(Mapping[str, Any], error.instance):
            if name not in allowed:
                yield FieldError(
                    json_path([*parts, name]),
                    "is not an allowed field",
                    f"فیلد «{name}» شناخته‌شده نیست و مجاز نیست.",
                )
    else:
        message, message_fa = _describe(keyword, expected, schema)
        yield FieldError(path, message, message_fa)


def _describe(keyword: str, expected: Any, schema: Mapping[str, Any]) -> tuple[str, str]:
    """English and Persian wording of one failed keyword; ``expected`` is the keyword's value."""
    if keyword == "enum":
        labels = schema.get("x-labels-fa", {})
        listed_fa = "، ".join(f"{v} ({labels[v]})" if v in labels else str(v) for v in expected)
        return (
            "must be one of: " + ", ".join(map(str, expected)),
            f"مقدار مجاز نیست؛ مقدارهای مجاز: {listed_fa}",
        )
    if keyword == "type":
        names = [expected] if isinstance(expected, str) else list(expected)
        return (
            "must be of type " + " or ".join(names),
            "نوع مقدار نادرست است؛ باید "
            + " یا ".join(_TYPE_NAMES_FA[n] for n in names)
            + " باشد.",
        )
    if keyword == "format":
        english, persian = _FORMAT_NAMES.get(expected, (f"a valid {expected}", f"{expected} معتبر"))
        return f"must be {english}", f"قالب نادرست است؛ باید {persian} باشد."
    examples = schema.get("examples", [])
    example, example_fa = " or ".join(examples) or expected, " یا ".join(examples) or expected
    wording = {
        "minLength": (
            f"must be at least {expected} characters long",
            f"دست‌کم {_fa(expected)} نویسه لازم است.",
        ),
        "maxLength": (
            f"must be at most {expected} characters long",
            f"حداکثر {_fa(expected)} نویسه مجاز است.",
        ),
        "pattern": (
            f"does not have the expected form, e.g. {example}",
            f"قالب مقدار نادرست است؛ نمونهٔ درست: {example_fa}",
        ),
        "minimum": (f"must be at least {expected}", f"مقدار باید دست‌کم {_fa(expected)} باشد."),
        "maximum": (f"must be at most {expected}", f"مقدار نباید بیشتر از {_fa(expected)} باشد."),
        "minItems": (
            f"must have at least {expected} items",
            f"دست‌کم {_fa(expected)} مورد لازم است.",
        ),
        "maxItems": (
            f"must have at most {expected} items",
            f"حداکثر {_fa(expected)} مورد مجاز است.",
        ),
    }
    return wording.get(keyword, (f"fails the {keyword} rule", "مقدار نامعتبر است."))
