"""Refusals in the spec's ``errors`` shape: a list of ``{code, description}``, with the HTTP status
the spec asks for — 404 for what does not exist, 403 for a missing or wrong ``api_key``, 400 for
anything else that cannot be done as asked.

The hub's own errors are translated here, at the facade's edge: a field the shared schema refuses
is named by the Open311 parameter the client sent (``$.citizen.mobile`` → ``phone``).
"""

from __future__ import annotations

from collections.abc import Iterable

from hub.auth.masking import mask_digits, mask_value
from hub.core.errors import FieldError

_CITIZEN_IDS = ("national_id", "mobile")  # never echoed back in full, as on /v1

# Paths of the shared request (schemas/request.schema.json) → the Open311 parameter they came from.
PARAMETERS = {
    "$.description": "description",
    "$.subject": "service_code",
    "$.category": "service_code",
    "$.type": "attribute[request_type]",
    "$.citizen.first_name": "first_name",
    "$.citizen.last_name": "last_name",
    "$.citizen.mobile": "phone",
    "$.citizen.email": "email",
    "$.citizen.national_id": "attribute[national_id]",
    "$.citizen": "first_name, last_name, phone",
    "$.location.county": "attribute[county]",
    "$.location.address": "address_string",
    "$.location.lat": "lat",
    "$.location.lon": "long",
    "$.location": "lat, long or address_string",
    "$.attachments": "media_url",
    "$.headers.Idempotency-Key": "Idempotency-Key",
}


class Open311Error(Exception):
    """A refusal: the HTTP status and one or more ``(code, description)`` pairs."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions or ("the request cannot be fulfilled",)

    def body(self) -> list[dict[str, object]]:
        return [{"code": self.status, "description": d} for d in self.descriptions]


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


def forbidden(description: str) -> Open311Error:
    return Open311Error(403, description)


def parameter_of(path: str) -> str:
    """The Open311 parameter a shared-schema path came from (the path itself if none)."""
    head = path.split("[", 1)[0] if path.startswith("$.attachments") else path
    while head and head not in PARAMETERS:
        head = head.rpartition(".")[0]
    return PARAMETERS.get(head, path.removeprefix("$."))


def _described(error: FieldError) -> str:
    message = str(mask_value(error.message))
    if error.path.rsplit(".", 1)[-1] in _CITIZEN_IDS:
        message = mask_digits(message)
    return f"{parameter_of(error.path)}: {message} ({error.message_fa})"


def from_field_errors(errors: Iterable[FieldError]) -> Open311Error:
    """Every problem intake found, each naming its Open311 parameter, in English and Persian."""
    return bad_request(*(_described(e) for e in errors))
