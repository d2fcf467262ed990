"""The shared request schema: every error at the field's own path, in English and Persian."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from hub.core.errors import FieldError, ValidationFailed
from hub.intake.schema import (
    CHANNELS,
    TYPE_LABELS_FA,
    _plain_json,
    _quick_check,
    _validator,
    schema_errors,
    validate_request,
)

VALID: dict[str, Any] = {
    "channel": "phone_111",
    "type": "complaint",
    "category": "water.outage",
    "subject": "قطعی آب",
    "description": "آب منزل ما از دیروز قطع است.",
    "citizen": {
        "national_id": "0012345679",
        "first_name": "علی",
        "last_name": "کریمی",
        "mobile": "09121234567",
        "email": "ali@example.ir",
    },
    "location": {"county": "گرگان", "city": "گرگان", "lat": 36.84, "lon": 54.44},
    "attachments": [
        {"name": "photo.jpg", "content_type": "image/jpeg", "size": 2048, "url": "file:///a.jpg"}
    ],
    "received_at": "2025-03-21T09:30:00+03:30",
    "external_ref": "WEB-77",
}


def with_change(path: str, value: Any = None, *, delete: bool = False) -> dict[str, Any]:
    document = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    target = document
    for key in parents:
        target = target[key]
    if delete:
        del target[last]
    else:
        target[last] = value
    return document


def only_error_at(document: dict[str, Any], path: str) -> FieldError:
    errors = schema_errors(document)
    assert [e.path for e in errors] == [path], errors
    return errors[0]


def test_it_accepts_a_complete_request() -> None:
    assert schema_errors(VALID) == []
    validate_request(VALID)


def test_it_names_a_missing_mobile_at_its_own_path_in_both_languages() -> None:
    error = only_error_at(with_change("citizen.mobile", delete=True), "$.citizen.mobile")
    assert error.message == "is required"
    assert error.message_fa == "فیلد «mobile» الزامی است."


def test_it_reports_every_missing_top_level_field() -> None:
    paths = [e.path for e in schema_errors({})]
    assert paths == [
        "$.category",
        "$.channel",
        "$.citizen",
        "$.description",
        "$.location",
        "$.subject",
        "$.type",
    ]


def test_it_lists_the_allowed_channels_for_an_unknown_channel() -> None:
    error = only_error_at(with_change("channel", "fax"), "$.channel")
    assert error.message == "must be one of: phone_111, web, app, letter, open311"
    assert "phone_111، web، app، letter، open311" in error.message_fa


def test_it_lists_request_types_with_their_persian_labels() -> None:
    error = only_error_at(with_change("type", "grievance"), "$.type")
    assert "complaint (شکایت)" in error.message_fa
    assert "appreciation (قدردانی)" in error.message_fa


def test_it_names_an_unexpected_key_in_the_path() -> None:
    error = only_error_at(with_change("citizen.nickname", "Ali"), "$.citizen.nickname")
    assert error.message == "is not an allowed field"
    assert "«nickname»" in error.message_fa


def test_it_reports_each_unexpected_key_separately() -> None:
    document = with_change("priority", "high")
    document["source"] = "fax"
    assert [e.path for e in schema_errors(document)] == ["$.priority", "$.source"]


@pytest.mark.parametrize("email", ["ali", "ali@", "ali@example", "ali @example.ir", "@example.ir"])
def test_it_refuses_a_malformed_email(email: str) -> None:
    error = only_error_at(with_change("citizen.email", email), "$.citizen.email")
    assert error.message == "must be an email address such as name@example.ir"
    assert "ایمیل" in error.message_fa


def test_it_refuses_a_description_over_5000_characters_without_echoing_it() -> None:
    error = only_error_at(with_change("description", "آ" * 5001), "$.description")
    assert error.message == "must be at most 5000 characters long"
    assert error.message_fa == "حداکثر ۵۰۰۰ نویسه مجاز است."


def test_it_refuses_a_two_letter_subject() -> None:
    error = only_error_at(with_change("subject", "آب"), "$.subject")
    assert error.message_fa == "دست‌کم ۳ نویسه لازم است."


def test_it_shows_an_example_for_a_malformed_category() -> None:
    error = only_error_at(with_change("category", "Water"), "$.category")
    assert "water.outage" in error.message
    assert "water.outage" in error.message_fa


def test_it_refuses_a_received_at_that_is_not_a_date_time() -> None:
    error = only_error_at(with_change("received_at", "1404/01/01"), "$.received_at")
    assert "RFC 3339" in error.message


def test_it_refuses_an_attachment_over_ten_megabytes_at_its_index() -> None:
    document = copy.deepcopy(VALID)
    document["attachments"][0]["size"] = 10 * 1024 * 1024 + 1
    error = only_error_at(document, "$.attachments[0].size")
    assert error.message == "must be at most 10485760"


def test_it_refuses_a_latitude_off_the_globe() -> None:
    error = only_error_at(with_change("location.lat", 91), "$.location.lat")
    assert error.message_fa == "مقدار نباید بیشتر از ۹۰ باشد."


def test_it_refuses_a_national_id_given_as_a_number() -> None:
    error = only_error_at(with_change("citizen.national_id", 12345679), "$.citizen.national_id")
    assert error.message == "must be of type string"
    assert error.message_fa == "نوع مقدار نادرست است؛ باید متن باشد."


def test_it_refuses_a_document_that_is_not_an_object() -> None:
    assert [e.path for e in schema_errors(["not", "a", "request"])] == ["$"]


def test_validate_request_raises_with_every_error() -> None:
    document = with_change("channel", "fax")
    document["subject"] = "x"
    with pytest.raises(ValidationFailed) as raised:
        validate_request(document)
    assert [e.path for e in raised.value.errors] == ["$.channel", "$.subject"]


def test_it_exposes_channels_and_persian_type_labels_from_the_schema() -> None:
    assert CHANNELS == ("phone_111", "web", "app", "letter", "open311")
    assert TYPE_LABELS_FA == {
        "request": "درخواست",
        "complaint": "شکایت",
        "suggestion": "پیشنهاد",
        "criticism": "انتقاد",
        "report": "گزارش",
        "appreciation": "قدردانی",
    }


# The quick check (jsonschema-rs) answers for a valid request alone: it must never let through
# what jsonschema refuses, formats and patterns included.
REFUSED = [
    with_change("citizen.email", "ali@"),
    with_change("citizen.email", "ali@example"),
    with_change("received_at", "1404/01/01"),
    with_change("received_at", "2025-02-30T09:30:00+03:30"),
    with_change("attachments", [{"name": "..", "content_type": "image/jpeg", "size": 1}]),
    with_change("attachments", [{"name": "a/b.jpg", "content_type": "image/jpeg", "size": 1}]),
    with_change("category", "Water"),
    with_change("channel", "fax"),
    with_change("location.lat", 91),
    with_change("citizen.national_id", 12345679),
    with_change("subject", "آب"),
    with_change("unexpected", 1),
    with_change("citizen.mobile", delete=True),
    ["not", "a", "request"],
    # Not JSON's own types (a caller in Python, not a parsed body): jsonschema-rs would read a
    # tuple as an array and cannot read bytes at all.
    with_change("attachments", tuple(VALID["attachments"])),
    with_change("subject", b"\xd9\x82\xd8\xb7\xd8\xb9"),
    with_change("citizen", {**VALID["citizen"], 1: "x"}),
    b"{}",
]


@pytest.mark.parametrize("document", REFUSED)
def test_the_quick_check_refuses_whatever_jsonschema_refuses(document: Any) -> None:
    assert list(_validator().iter_errors(document)) != []
    assert not (_plain_json(document) and _quick_check().is_valid(document))
    assert schema_errors(document) != []


def test_the_quick_check_passes_a_valid_request_that_jsonschema_passes() -> None:
    assert _quick_check().is_valid(VALID)
    assert list(_validator().iter_errors(VALID)) == []
