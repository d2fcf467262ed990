"""The REST connector as the hub finds it: by entry point, with a schema its sample meets."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from connectors.rest.connector import RestConnector
from connectors.rest.settings import PollSettings, PushSettings, RestSettings
from hub.plugins.manager import make_plugin_manager

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = ROOT / "config" / "agreements" / "golestan-water.yaml"
SANDBOX_STATUSES = {"NEW", "SEEN", "ASSIGNED", "IN_FIELD", "CLOSED_DONE", "REJECTED"}


def validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def problems(schema: dict[str, Any], document: Any) -> list[str]:
    return [f"{e.json_path}: {e.message}" for e in validator(schema).iter_errors(document)]


@pytest.fixture(scope="module")
def agreement() -> dict[str, Any]:
    return yaml.safe_load(AGREEMENT.read_text(encoding="utf-8"))


def test_the_plugin_is_found_through_the_entry_point() -> None:
    assert make_plugin_manager().connectors.get("rest") is RestConnector


def test_the_sample_agreement_is_valid_against_the_agreement_schema(agreement) -> None:
    schema = json.loads((ROOT / "schemas" / "agreement.schema.json").read_text(encoding="utf-8"))
    assert problems(schema, agreement) == []


def test_the_sample_agreements_settings_are_valid_for_the_rest_connector(agreement) -> None:
    assert agreement["connector"]["type"] == "rest"
    assert problems(RestConnector.settings_schema, agreement["connector"]["settings"]) == []


def test_every_secret_in_the_sample_agreement_is_an_env_reference(agreement) -> None:
    secret_keys = [
        key
        for key, spec in RestConnector.settings_schema["properties"]["auth"]["properties"].items()
        if spec.get("x-secret")
    ]
    auth = agreement["connector"]["settings"]["auth"]
    assert secret_keys == ["token", "password"]
    assert auth["token"] == "${env:SAMAD_WATER_TOKEN}"


def test_the_sample_agreement_maps_every_sandbox_status(agreement) -> None:
    assert set(agreement["status_map"]) == SANDBOX_STATUSES


@pytest.mark.parametrize(
    ("settings_change", "complaint"),
    [
        ({"base_url": "ftp://water"}, "does not match"),
        ({"auth": {"type": "bearer"}}, "'token' is a required property"),
        ({"auth": {"type": "basic", "username": "u"}}, "'password' is a required property"),
        ({"poll": {"path": "/tickets", "external_id": "id", "status": "s"}}, "does not match"),
        ({"retries": 3}, "Additional properties are not allowed"),
    ],
)
def test_the_settings_schema_refuses_broken_settings(agreement, settings_change, complaint) -> None:
    settings = {**agreement["connector"]["settings"], **settings_change}
    assert any(
        complaint in problem for problem in problems(RestConnector.settings_schema, settings)
    )


def test_the_settings_defaults_are_the_schemas_defaults() -> None:
    settings = RestSettings.from_mapping(
        {
            "base_url": "http://127.0.0.1:8731",
            "push": {"path": "/t", "external_id": "id"},
            "poll": {"path": "/t/{external_id}", "external_id": "id", "status": "s"},
        }
    )
    assert settings.timeout_seconds == 10
    assert settings.auth == {"type": "none"}
    assert settings.push == PushSettings("/t", "id", "POST", "Idempotency-Key")
    assert settings.poll == PollSettings("/t/{external_id}", "id", "s", batch_ids_field="ids")
    assert (settings.poll.batch_size, settings.poll.items) == (50, "items")
