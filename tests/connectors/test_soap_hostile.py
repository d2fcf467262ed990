"""Hostile or broken answers from a SOAP agency are refused safely, and the worker carries on."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from connectors.soap import clients
from connectors.soap.connector import SoapConnector
from hub.core.errors import ConnectorError
from hub.plugins.connector import ConnectorContext, OutgoingReferral
from hub.sandbox.server import BackgroundServer
from hub.sandbox.soap import SoapSandbox

ROOT = Path(__file__).resolve().parents[2]
AGREEMENT = yaml.safe_load((ROOT / "config/agreements/golestan-power.yaml").read_text())
FIELDS = {
    "Subject": "نوسان ولتاژ",
    "Description": "نوسان شدید ولتاژ در روستای قرناوه، وسایل برقی آسیب دیده است.",
    "Subscriber": {"FullName": "حسین اسدی", "Mobile": "09121234567"},
    "Location": {"County": "گنبد کاووس", "Text": "روستای قرناوه"},
}


@pytest.fixture(scope="module")
def sandbox() -> SoapSandbox:
    return SoapSandbox(step_seconds=60)


@pytest.fixture(scope="module")
def server(sandbox: SoapSandbox) -> Iterator[BackgroundServer]:
    with BackgroundServer(sandbox.app()) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_sandbox(sandbox: SoapSandbox) -> Iterator[None]:
    yield
    sandbox.reset()
    clients.forget_clients()


@pytest.fixture
def connector(server: BackgroundServer, tmp_path: Path) -> SoapConnector:
    settings: dict[str, Any] = copy.deepcopy(AGREEMENT["connector"]["settings"])
    settings["wsdl"] = f"{server.url}/?wsdl"
    del settings["auth"]
    context = ConnectorContext(
        AGREEMENT["id"], AGREEMENT["mapping"], AGREEMENT["status_map"], ROOT / "config", tmp_path
    )
    connector = SoapConnector(settings, context)
    assert connector.check().ok  # the WSDL is parsed while the agency still behaves
    return connector


def referral(number: int) -> OutgoingReferral:
    return OutgoingReferral(
        referral_id=number,
        reference=f"R-1405-{number:07d}-3",
        tracking_code=f"1405{number:08d}",
        idempotency_key=f"hostile-{number}",
        agreement_id=AGREEMENT["id"],
        fields=copy.deepcopy(FIELDS),
        request={},
    )


def push_garbage(connector: SoapConnector, sandbox: SoapSandbox, kind: str) -> ConnectorError:
    sandbox.controls.update({"garbage": kind, "times": 1})
    with pytest.raises(ConnectorError) as failed:
        connector.push(referral(1))
    # The worker stays alive: the very next push goes through, and opens exactly one case.
    assert connector.push(referral(1)).external_id.startswith("BRQ/")
    assert sandbox.stats()["cases"] == 1
    return failed.value


def test_an_html_error_page_with_status_200_is_reported_and_kept_for_the_admin(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    error = push_garbage(connector, sandbox, "html")
    assert "HTML page instead of a SOAP envelope" in error.message
    assert not error.permanent
    assert "سامانه در حال به‌روزرسانی است" in error.detail["body"]
    assert error.detail["status_code"] == 200


def test_an_answer_with_an_external_entity_is_refused_unread(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    error = push_garbage(connector, sandbox, "xxe")
    assert error.permanent
    assert "XML attacks are never parsed" in error.message
    assert "root:" not in str(error.detail) and "root:" not in error.message


def test_a_billion_laughs_answer_is_refused_without_expanding_it(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    error = push_garbage(connector, sandbox, "billion_laughs")
    assert error.permanent
    assert "XML attacks are never parsed" in error.message
    assert "lollollol" not in error.message


def test_an_oversized_answer_is_refused_at_the_cap(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    error = push_garbage(connector, sandbox, "oversized")
    assert error.permanent
    assert (
        error.detail["max_response_bytes"]
        == AGREEMENT["connector"]["settings"]["max_response_bytes"]
    )
    assert "larger than" in error.message


def test_a_truncated_envelope_is_reported_with_the_body_kept_and_truncated(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    error = push_garbage(connector, sandbox, "truncated")
    assert not error.permanent
    assert "not a readable SOAP envelope" in error.message
    assert error.detail["body"].startswith("<?xml")
    assert len(error.detail["body"]) <= 2000


def test_polling_a_hostile_answer_fails_cleanly_too(
    connector: SoapConnector, sandbox: SoapSandbox
) -> None:
    receipt = connector.push(referral(2))
    sandbox.controls.update({"garbage": "xxe", "times": 1})
    with pytest.raises(ConnectorError) as failed:
        connector.poll([receipt])
    [update] = connector.poll([receipt])
    assert failed.value.permanent
    assert update.status == "10"
