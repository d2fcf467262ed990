"""Plain field paths in a mapping are read without JMESPath's parse tree — with its answers."""

from __future__ import annotations

import jmespath
import pytest

from hub.agreements.mapping import apply_mapping, searcher

DOCUMENT = {
    "subject": "قطعی آب",
    "citizen": {"first_name": "مریم", "mobile": "09121234567", "email": None},
    "location": {"county": "گرگان", "lat": 36.84, "parts": [{"name": "a"}], "zero": 0},
    "attachments": [{"name": "photo.jpg"}],
    "referral": {"deadlines": {}, "tracking_code": "12345678903"},
    "flag": False,
    "text": "not an object",
}

PLAIN = [
    "subject",
    "citizen.first_name",
    "citizen.email",  # present, null
    "citizen.missing",
    "missing.deeper.still",
    "location.lat",
    "location.zero",
    "location.parts.name",  # through a list: JMESPath gives null for a field of a list
    "attachments.name",
    "text.length",  # through a string
    "flag.x",  # through a boolean
    "referral.deadlines.view",
    "referral.tracking_code",
    "_under_score",
]
OTHER = [
    "attachments[0].name",
    "location.parts[*].name",
    "join(' ', [citizen.first_name, subject])",
    'citizen."mobile"',
    '`"const"`',
    "location.{c: county}",
]


@pytest.mark.parametrize("expression", PLAIN + OTHER)
def test_every_expression_gives_what_jmespath_gives(expression: str) -> None:
    assert searcher(expression)(DOCUMENT) == jmespath.search(expression, DOCUMENT)


@pytest.mark.parametrize("expression", PLAIN)
def test_plain_paths_take_the_fast_path(expression: str) -> None:
    assert searcher(expression).__name__ == "field"


@pytest.mark.parametrize("expression", OTHER)
def test_other_expressions_are_jmespaths_own(expression: str) -> None:
    assert searcher(expression).__name__ == "search"


def test_a_mapping_of_plain_paths_and_translations() -> None:
    mapping = {
        "title": "subject",
        "caller.name": "citizen.first_name",
        "caller.email": "citizen.email",  # null: left out
        "county_code": {"expr": "location.county", "values": {"گرگان": "GRG"}, "default": "X"},
        "kind": {"const": "complaint"},
    }
    assert apply_mapping(mapping, DOCUMENT) == {
        "title": "قطعی آب",
        "caller": {"name": "مریم"},
        "county_code": "GRG",
        "kind": "complaint",
    }
