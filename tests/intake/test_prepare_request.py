"""prepare_request turns a submission into a request ready to store, or lists every fault."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from hub.core.errors import ValidationFailed
from hub.intake.prepare import PreparedRequest, prepare_request
from hub.intake.schema import schema_errors

SUBMITTED: dict[str, Any] = {
    "channel": "phone_111",
    "type": "complaint",
    "category": "water.outage",
    "subject": "  قطعي   آب  ",
    "description": "آب منزل ما از ديروز قطع است.\u200f",
    "citizen": {
        "national_id": "۰۰۸۴۵۷۵۹۴۸",
        "first_name": "علي",
        "last_name": "كريمي",
        "mobile": "+98 912 123 4567",
        "email": " Ali.Karimi@Example.IR ",
    },
    "location": {"county": "گرگان", "city": " گرگان ", "address": "خيابان  امام، كوچه ۱۲"},
    "received_at": "2025-03-21T09:30:00+03:30",
}


def faults(raw: Any) -> dict[str, tuple[str, str]]:
    with pytest.raises(ValidationFailed) as raised:
        prepare_request(raw)
    return {e.path: (e.message, e.message_fa) for e in raised.value.errors}


def test_it_returns_a_normalised_schema_valid_document() -> None:
    prepared = prepare_request(SUBMITTED)
    assert isinstance(prepared, PreparedRequest)
    document = prepared.document
    assert document["subject"] == "قطعی آب"
    assert document["description"] == "آب منزل ما از دیروز قطع است."
    assert document["citizen"] == {
        "national_id": "0084575948",
        "first_name": "علی",
        "last_name": "کریمی",
        "mobile": "09121234567",
        "email": "ali.karimi@example.ir",
    }
    assert document["location"] == {
        "county": "گرگان",
        "city": "گرگان",
        "address": "خیابان امام، کوچه ۱۲",
    }
    assert document["received_at"] == "2025-03-21T09:30:00+03:30"
    assert schema_errors(document) == []


def test_it_keeps_the_citizens_own_text_as_received() -> None:
    original = prepare_request(SUBMITTED).original
    assert original == {
        "subject": "  قطعي   آب  ",
        "description": "آب منزل ما از ديروز قطع است.\u200f",
        "first_name": "علي",
        "last_name": "كريمي",
        "address": "خيابان  امام، كوچه ۱۲",
    }


def test_it_leaves_the_submission_untouched() -> None:
    before = copy.deepcopy(SUBMITTED)
    prepare_request(SUBMITTED)
    assert before == SUBMITTED


def test_it_collects_schema_and_normalisation_errors_in_one_go() -> None:
    raw = copy.deepcopy(SUBMITTED)
    raw["channel"] = "fax"
    raw["citizen"]["national_id"] = "0084575949"  # last digit mistyped
    raw["citizen"]["mobile"] = "017 3212 3456"  # a landline
    raw["citizen"]["email"] = "ali@"
    raw["location"]["district"] = "2"
    found = faults(raw)
    assert sorted(found) == [
        "$.channel",
        "$.citizen.email",
        "$.citizen.mobile",
        "$.citizen.national_id",
        "$.location.district",
    ]
    assert "checksum" in found["$.citizen.national_id"][0]
    assert "رقم کنترل" in found["$.citizen.national_id"][1]
    assert "landline" in found["$.citizen.mobile"][0]
    assert "تلفن ثابت" in found["$.citizen.mobile"][1]


def test_a_subject_of_spaces_is_too_short_once_tidied() -> None:
    raw = copy.deepcopy(SUBMITTED)
    raw["subject"] = "  \u200c  آب \u200f  "
    assert faults(raw) == {
        "$.subject": ("must be at least 3 characters long", "دست‌کم ۳ نویسه لازم است.")
    }


def test_a_field_wrong_at_the_schema_level_is_reported_once() -> None:
    raw = copy.deepcopy(SUBMITTED)
    raw["citizen"]["mobile"] = "0912"  # too short for the schema and unreadable as a number
    assert list(faults(raw)) == ["$.citizen.mobile"]


def test_it_reports_missing_fields_and_still_checks_the_ones_given() -> None:
    raw = copy.deepcopy(SUBMITTED)
    del raw["citizen"]["last_name"]
    raw["citizen"]["national_id"] = "1111111111"
    found = faults(raw)
    assert sorted(found) == ["$.citizen.last_name", "$.citizen.national_id"]


def test_it_refuses_a_submission_that_is_not_an_object() -> None:
    assert list(faults("قطعی آب")) == ["$"]


@pytest.mark.parametrize(
    ("received_at", "says"),
    [
        ("0001-01-01T00:00:00+00:03", "out of range"),  # once a 500: out of range in UTC
        ("9999-12-31T23:00:00-10:00", "out of range"),  # beyond what datetime holds in UTC
        ("1999-12-31T23:59:59+00:00", "out of range: give a moment from 2000-01-01"),
        ("2999-01-01T00:00:00+03:30", "out of range"),
        ("2099-01-01T00:00:00+03:30", "must not be in the future"),
    ],
)
def test_a_received_at_the_hub_cannot_count_from_is_refused_naming_it(received_at, says) -> None:
    message, message_fa = faults({**SUBMITTED, "received_at": received_at})["$.received_at"]
    assert says in message
    assert message_fa


def test_a_received_at_of_today_with_its_offset_is_kept_as_sent() -> None:
    sent = datetime.now(UTC).astimezone(timezone(timedelta(hours=3, minutes=30))).isoformat()
    assert prepare_request({**SUBMITTED, "received_at": sent}).document["received_at"] == sent
