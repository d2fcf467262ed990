"""A connector package from outside the hub installs with pip, runs the kit's contract suite and
passes; a broken one fails it, each failure saying what to fix."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest

HERE = Path(__file__).parent
PIP_INSTALL = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation"]
PYTEST = [sys.executable, "-m", "pytest", "-rA", "-p", "no:cacheprovider", "-W", "error"]


def _install_and_test(package: str, tmp_path: Path) -> tuple[int, dict[str, str]]:
    """Install ``package`` with pip and run its tests: pytest's exit code, and each test's
    outcome ("passed", or the failure's message) by name."""
    source = tmp_path / package
    shutil.copytree(HERE / package, source)  # building leaves files beside the sources
    target = tmp_path / "site"
    subprocess.run(
        [*PIP_INSTALL, "--target", str(target), str(source)],
        check=True,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert list(target.glob("*.dist-info")), "pip installed no distribution"
    shutil.rmtree(source / f"{package}_connector")  # tests must use the installed copy
    env = {**os.environ, "PYTHONPATH": str(target)}
    report = tmp_path / "report.xml"
    run = subprocess.run(
        [*PYTEST, f"--junitxml={report}", str(source / "tests")],
        cwd=source,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert report.exists(), run.stdout + run.stderr
    return run.returncode, _outcomes(report)


def _outcomes(report: Path) -> dict[str, str]:
    outcomes = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        outcomes[case.attrib["name"]] = (
            "passed" if problem is None else f"{problem.attrib.get('message', '')}\n{problem.text}"
        )
    return outcomes


def test_a_connector_package_that_keeps_the_contract_passes_the_kit(tmp_path: Path) -> None:
    code, outcomes = _install_and_test("ticketbox", tmp_path)
    assert code == 0, outcomes
    assert len(outcomes) == 10  # 9 contract checks, and the entry point found
    assert set(outcomes.values()) == {"passed"}


@pytest.fixture(scope="module")
def broken_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    code, outcomes = _install_and_test("broken", tmp_path_factory.mktemp("broken"))
    assert code == 1, outcomes  # tests failed (not a crash of pytest itself)
    return outcomes


@pytest.mark.parametrize(
    ("check", "says"),
    [
        (
            "test_a_second_push_of_a_referral_lands_on_the_same_case",
            "send referral.idempotency_key",
        ),
        ("test_poll_reports_each_status_of_a_case_as_the_agency_says_it", "untouched"),
        ("test_an_agency_that_is_down_gives_a_retryable_error", "HTTPStatusError"),
        ("test_a_request_the_agency_refuses_gives_an_error_not_retried", "ConnectorError(message"),
        ("test_a_failing_poll_gives_a_connector_error", "which the core treats as a crash"),
        ("test_push_is_safe_from_several_threads_at_once", "keep no per-push state on self"),
    ],
)
def test_a_broken_connector_fails_each_check_it_breaks_saying_what_to_fix(
    broken_run: dict[str, str], check: str, says: str
) -> None:
    outcome = broken_run[check]
    assert outcome != "passed", f"{check} passed a connector that breaks it"
    assert says in outcome, outcome


def test_a_broken_connector_still_passes_what_it_does_keep(broken_run: dict[str, str]) -> None:
    assert broken_run["test_samad_hub_finds_the_connector_through_its_entry_point"] == "passed"
    assert broken_run["test_the_type_names_its_kind_and_a_valid_settings_schema"] == "passed"
