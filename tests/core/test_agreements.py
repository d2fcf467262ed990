"""Agreement files: validated with every problem named, versioned, reloaded without a restart."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hub.agreements.loader import load_directory
from hub.agreements.registry import AgreementRegistry
from hub.cli.main import app
from hub.core.settings import REPO_ROOT, get_settings
from hub.plugins.manager import plugins

SAMPLES = REPO_ROOT / "config" / "agreements"
runner = CliRunner()


def test_every_shipped_sample_agreement_is_valid() -> None:
    agreements, problems = load_directory(SAMPLES, plugins().connectors)
    assert problems == []
    assert {
        "golestan-water",
        "golestan-gas",
        "golestan-power",
        "golestan-gorgan-municipality",
    } <= set(agreements)


def test_validate_reports_every_problem_with_file_key_path_and_message(tmp_path: Path) -> None:
    text = (SAMPLES / "golestan-water.yaml").read_text(encoding="utf-8")
    text = text.replace("token: ${env:SAMAD_WATER_TOKEN}", "token: s3cret-literal")
    text = text.replace("CLOSED_DONE: resolved", "CLOSED_DONE: finished")
    text = text.replace("base_url: http://127.0.0.1:8731", "base_url: 42")
    bad = tmp_path / "golestan-water.yaml"
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["agreements", "validate", str(bad)])
    assert result.exit_code == 1
    assert "status_map.CLOSED_DONE" in result.output
    assert "'finished' is not one of" in result.output
    # Connector settings are only checked once the agreement's own shape is right.
    text = text.replace("CLOSED_DONE: finished", "CLOSED_DONE: resolved")
    bad.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["agreements", "validate", str(bad)])
    assert result.exit_code == 1
    assert "connector.settings.base_url" in result.output
    assert "connector.settings.auth.token" in result.output
    assert "${env:NAME}" in result.output


def test_validate_says_when_the_id_does_not_match_the_file_name(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "golestan-water.yaml", tmp_path / "water.yaml")
    result = runner.invoke(app, ["agreements", "validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "must equal the file name" in result.output


def test_a_bad_mapping_expression_is_named(tmp_path: Path) -> None:
    text = (SAMPLES / "golestan-water.yaml").read_text(encoding="utf-8")
    text = text.replace("title: subject", 'title: "subject["')
    (tmp_path / "golestan-water.yaml").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["agreements", "validate", str(tmp_path)])
    assert result.exit_code == 1 and "mapping.title" in result.output


def test_validate_passes_the_shipped_directory() -> None:
    result = runner.invoke(app, ["agreements", "validate", str(SAMPLES)])
    assert result.exit_code == 0, result.output


def test_list_shows_the_agencies_in_both_languages(sandboxes: object) -> None:
    result = runner.invoke(app, ["agreements", "list"])
    assert result.exit_code == 0
    assert "golestan-water" in result.output and "Water" in result.output


def test_check_asks_the_agency_system(sandboxes: object) -> None:
    result = runner.invoke(app, ["agreements", "check", "golestan-water"])
    assert result.exit_code == 0, result.output
    assert "✓ golestan-water (rest)" in result.output
    result = runner.invoke(app, ["agreements", "check", "no-such-agency"])
    assert result.exit_code == 1 and "no agreement 'no-such-agency'" in result.output


@pytest.fixture
def live_dir(tmp_path: Path) -> Path:
    shutil.copy(SAMPLES / "golestan-water.yaml", tmp_path / "golestan-water.yaml")
    return tmp_path


def test_a_changed_file_is_picked_up_without_a_restart_and_gets_a_new_version(
    live_dir: Path,
) -> None:
    registry = AgreementRegistry(live_dir, plugins(), get_settings())
    before = registry.get("golestan-water")
    path = live_dir / "golestan-water.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("priority: 0", "priority: 5"), encoding="utf-8"
    )
    os.utime(path, (time.time() + 5, time.time() + 5))
    after = registry.get("golestan-water")
    assert after.priority == 5 and after.version != before.version


def test_a_broken_edit_keeps_the_last_good_version_and_reports_the_problem(
    live_dir: Path,
) -> None:
    registry = AgreementRegistry(live_dir, plugins(), get_settings())
    good = registry.get("golestan-water")
    path = live_dir / "golestan-water.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("routes:", "routez:"), encoding="utf-8"
    )
    os.utime(path, (time.time() + 5, time.time() + 5))
    assert registry.get("golestan-water").version == good.version
    assert any("routez" in p.message or "routes" in p.message for p in registry.problems)


def test_a_thread_asking_while_another_reloads_waits_for_the_new_agreements(
    live_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A worker thread asking for a just-onboarded agreement while another thread is loading the
    files must get it — not "no agreement" beside a snapshot that already shows the new file."""
    registry = AgreementRegistry(live_dir, plugins(), get_settings())  # reload seconds: 0
    loading, slow = threading.Event(), threading.Event()

    def slow_load(*args: Any) -> Any:
        loading.set()
        slow.wait(5)  # a loaded machine: parsing and validating takes a while
        return load_directory(*args)

    monkeypatch.setattr("hub.agreements.registry.load_directory", slow_load)
    shutil.copy(SAMPLES / "golestan-gas.yaml", live_dir / "golestan-gas.yaml")
    reloader = threading.Thread(target=registry.all)
    reloader.start()
    assert loading.wait(5)
    found: list[str] = []
    asker = threading.Thread(target=lambda: found.append(registry.get("golestan-gas").id))
    asker.start()
    time.sleep(0.2)
    slow.set()
    reloader.join(5)
    asker.join(5)
    assert found == ["golestan-gas"]


def test_a_new_file_onboards_an_agency_while_running(live_dir: Path) -> None:
    registry = AgreementRegistry(live_dir, plugins(), get_settings())
    assert [a.id for a in registry.all()] == ["golestan-water"]
    shutil.copy(SAMPLES / "golestan-gas.yaml", live_dir / "golestan-gas.yaml")
    assert [a.id for a in registry.all()] == ["golestan-gas", "golestan-water"]
