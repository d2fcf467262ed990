"""``samad-hub agreements check <id>`` in its own process, against the agencies' sandboxes: it
prints each problem as a sentence and exits 1 when our credentials are refused; where the
agreement names a test system it pushes a sample referral there, and nowhere else."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.agreements.loader import parse_agreement
from hub.core.errors import AgreementError
from hub.core.settings import REPO_ROOT
from hub.plugins.manager import plugins
from hub.sandbox.rest import AuthMode, RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from hub.sandbox.server import BackgroundServer
from hub.sandbox.soap import SoapSandbox

SAMPLES = REPO_ROOT / "config" / "agreements"
WATER_TOKEN, POWER_USER, POWER_PASSWORD = "check-water-token", "samad-111", "check-power-password"


@pytest.fixture(scope="module")
def water() -> Iterator[tuple[RestSandboxApp, BackgroundServer]]:
    with running_rest_sandbox(RestSandboxSettings(auth=AuthMode.BEARER, token=WATER_TOKEN)) as run:
        yield run


@pytest.fixture(scope="module")
def water_test_system() -> Iterator[tuple[RestSandboxApp, BackgroundServer]]:
    """The water company's test CRM: another server, another token."""
    settings = RestSandboxSettings(
        auth=AuthMode.BEARER, token="test-crm-token", ticket_prefix="TST"
    )
    with running_rest_sandbox(settings) as run:
        yield run


@pytest.fixture(scope="module")
def power() -> Iterator[BackgroundServer]:
    with BackgroundServer(SoapSandbox(users={POWER_USER: POWER_PASSWORD}).app()) as server:
        yield server


@pytest.fixture
def agreements_dir(tmp_path: Path, water, water_test_system, power: BackgroundServer) -> Path:
    (_, water_server), (_, test_server) = water, water_test_system
    text = (SAMPLES / "golestan-water.yaml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8731", water_server.url)
    (tmp_path / "golestan-water.yaml").write_text(text, encoding="utf-8")
    trial = text.replace("id: golestan-water", "id: golestan-water-trial").replace(
        "connector:\n  type: rest\n",
        "connector:\n  type: rest\n  test_settings:\n"
        f"    base_url: {test_server.url}\n"
        "    auth: {token: '${env:SAMAD_WATER_TEST_TOKEN}'}\n",
    )
    (tmp_path / "golestan-water-trial.yaml").write_text(trial, encoding="utf-8")
    text = (SAMPLES / "golestan-power.yaml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8732", power.url)
    (tmp_path / "golestan-power.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def check(agreements_dir: Path, agreement_id: str, **environment: str) -> tuple[int, str]:
    """``samad-hub agreements check`` in its own process: exit code and what it printed."""
    done = subprocess.run(
        [sys.executable, "-m", "hub", "agreements", "check", agreement_id],
        cwd=REPO_ROOT,
        env={
            **os.environ,
            "COLUMNS": "300",
            "SAMAD_AGREEMENTS_DIR": str(agreements_dir),
            "SAMAD_WATER_TOKEN": WATER_TOKEN,
            "SAMAD_WATER_TEST_TOKEN": "test-crm-token",
            "SAMAD_POWER_WSSE_PASSWORD": POWER_PASSWORD,
            **environment,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, done.stdout + done.stderr


def test_the_right_token_passes_and_says_no_dry_run_was_made(agreements_dir: Path, water) -> None:
    _, server = water
    code, output = check(agreements_dir, "golestan-water")
    assert code == 0, output
    assert f"✓ golestan-water (rest): GET {server.url}/api/v1/health answered HTTP 200" in output
    assert "with our credentials" in output
    assert "no dry run: the agreement names no test system (connector.test_settings)" in output


def test_a_wrong_token_is_printed_as_refused_and_fails(agreements_dir: Path, water) -> None:
    _, server = water
    code, output = check(agreements_dir, "golestan-water", SAMAD_WATER_TOKEN="last-years-token")
    assert code == 1, output
    assert "✗ golestan-water (rest)" in output
    assert (
        f"- The agency refused our credentials (HTTP 401 on GET {server.url}/api/v1/health) — "
        "check connector.settings.auth." in output
    )


def test_a_wrong_ws_security_password_is_printed_as_refused_and_fails(
    agreements_dir: Path,
) -> None:
    code, output = check(agreements_dir, "golestan-power", SAMAD_POWER_WSSE_PASSWORD="wrong")
    assert code == 1, output
    assert "✗ golestan-power (soap)" in output
    assert "- The agency refused our WS-Security credentials on GetCaseStatus" in output
    assert "check connector.settings.auth.username_token." in output
    code, output = check(agreements_dir, "golestan-power")
    assert code == 0, output
    assert "taken as proof that our credentials work" in output


def test_a_dry_run_pushes_one_sample_referral_to_the_test_system_only(
    agreements_dir: Path, water, water_test_system
) -> None:
    (production, _), (test_crm, _) = water, water_test_system
    before = production.tickets.stats().tickets
    code, output = check(agreements_dir, "golestan-water-trial")
    assert code == 0, output
    assert "✓ golestan-water-trial test system: dry run: the test system took R-CHECK-" in output
    assert "as case TST-" in output and "polled once, it is in status NEW" in output
    assert test_crm.tickets.stats().tickets == 1
    assert production.tickets.stats().tickets == before  # production saw only the check's GET
    code, output = check(
        agreements_dir, "golestan-water-trial", SAMAD_WATER_TEST_TOKEN="not-the-test-token"
    )
    assert code == 1, output
    assert "- The agency's test system did not take the sample referral R-CHECK-" in output
    assert "HTTP 401" in output and "check the mapping and connector.test_settings." in output


def test_test_settings_are_checked_as_the_connectors_settings_secrets_included() -> None:
    text = (
        (SAMPLES / "golestan-water.yaml")
        .read_text(encoding="utf-8")
        .replace(
            "connector:\n  type: rest\n",
            "connector:\n  type: rest\n  test_settings:\n    base_url: ftp://test-crm.example\n"
            "    auth: {token: a-literal-token}\n",
        )
    )
    with pytest.raises(AgreementError) as refused:
        parse_agreement(text, "golestan-water.yaml", plugins().connectors)
    assert [(p.key_path, p.message) for p in refused.value.problems] == [
        (
            "connector.test_settings.base_url",
            "'ftp://test-crm.example' does not match '^https?://'",
        ),
        (
            "connector.test_settings.auth.token",
            "is a secret: write it as ${env:NAME}, never the value itself",
        ),
    ]
