"""The rooms of hub/: imports run one way, no cycles, and the plugin house the rooms share."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, ClassVar

import pytest

from hub.core.errors import ConnectorError, HubError, NormalizationError, PluginError
from hub.core.settings import REPO_ROOT, Settings
from hub.deadlines.due_times import EscalationAction
from hub.plugins.hookspecs import hookimpl
from hub.plugins.manager import DEFAULT_PLUGINS, make_plugin_manager
from hub.plugins.notifier import Notifier, OutgoingMessage

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint_imports(cwd: Path, pythonpath: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(pythonpath)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_rooms_import_only_downwards_and_no_module_cycle_exists() -> None:
    run = _lint_imports(REPO_ROOT, REPO_ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "2 kept, 0 broken" in run.stdout


def test_the_import_check_fails_on_an_upward_import_and_on_a_cycle(tmp_path: Path) -> None:
    package = tmp_path / "probe"
    (package / "high").mkdir(parents=True)
    (package / "low").mkdir()
    (package / "__init__.py").write_text("")
    (package / "high" / "__init__.py").write_text("")
    (package / "high" / "a.py").write_text("from probe.high import b\n")
    (package / "high" / "b.py").write_text("from probe.high import a\n")
    (package / "low" / "__init__.py").write_text("from probe.high import a\n")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.importlinter]\nroot_packages = ["probe"]\n'
        '[[tool.importlinter.contracts]]\nname = "layers"\ntype = "layers"\n'
        'containers = ["probe"]\nlayers = ["high", "low"]\n'
        '[[tool.importlinter.contracts]]\nname = "cycles"\ntype = "acyclic_siblings"\n'
        'ancestors = ["probe"]\n'
    )
    run = _lint_imports(tmp_path, tmp_path)
    assert run.returncode != 0
    assert "probe.low is not allowed to import probe.high" in run.stdout
    assert "No cycles are allowed in probe.high" in run.stdout


def test_every_room_says_what_it_owns_and_what_it_may_import() -> None:
    rooms = [p for p in (REPO_ROOT / "hub").iterdir() if (p / "__init__.py").exists()]
    assert len(rooms) >= 15
    for room in rooms:
        doc = importlib.import_module(f"hub.{room.name}").__doc__ or ""
        assert len(doc.strip()) > 40, f"hub.{room.name} has no docstring saying what it owns"
        assert "may import" in doc.lower() or "imports nothing" in doc.lower(), room.name


def test_the_built_in_plugins_are_the_entry_points_the_package_declares() -> None:
    declared = {ep.name: ep.value for ep in entry_points(group="samad_hub")}
    for name, module in DEFAULT_PLUGINS.items():
        if name in declared:
            assert declared[name] == module
    assert {"rest", "soap", "email"} <= declared.keys()


def test_without_entry_points_the_built_in_connectors_are_still_there() -> None:
    plugins = make_plugin_manager(entry_points=False, disabled=())
    assert {"rest", "soap", "email"} <= set(plugins.connectors.kinds())
    assert {"sms", "email", "connector"} <= set(plugins.notifiers.channels())


def test_a_disabled_plugin_is_left_out_by_its_name() -> None:
    plugins = make_plugin_manager(disabled=["soap"])
    assert "soap" not in plugins.connectors.kinds()
    assert "rest" in plugins.connectors.kinds()
    with pytest.raises(PluginError, match="no connector of type 'soap'"):
        plugins.connectors.get("soap")


def test_disabled_plugins_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAMAD_DISABLED_PLUGINS", " soap , email,")
    assert Settings().disabled_plugin_names() == ["soap", "email"]


class _SecondSms(Notifier):
    channel = "sms"

    def send(self, message: OutgoingMessage) -> str:
        return "never"


class _SecondSmsPlugin:
    @hookimpl
    def hub_register_notifiers(self, registry: Any) -> None:
        registry.add(_SecondSms)


def test_the_notifier_registry_refuses_a_second_channel_as_the_connector_one_does() -> None:
    with pytest.raises(PluginError) as caught:
        make_plugin_manager(extra=[_SecondSmsPlugin()])
    message = str(caught.value)
    assert "'sms' is registered twice" in message
    assert "KavenegarSmsNotifier" in message and "_SecondSms" in message


class _Nameless(Notifier):
    channel: ClassVar[str] = ""


def test_a_class_without_its_name_is_refused() -> None:
    plugins = make_plugin_manager()
    with pytest.raises(PluginError, match="has no 'channel' name"):
        plugins.notifiers.add(_Nameless)


def test_every_error_the_hub_raises_on_purpose_is_a_hub_error() -> None:
    assert issubclass(NormalizationError, HubError) and issubclass(NormalizationError, ValueError)
    error = ConnectorError("agency down")
    assert {error: 1}[error] == 1  # hashable: kept in sets, used as keys
    assert error.detail == {} and not error.permanent
    assert str(ConnectorError("no", permanent=True)) == "no (permanent)"


def test_the_escalation_actions_are_the_ones_the_agreement_schema_allows() -> None:
    import json

    schema = json.loads((REPO_ROOT / "schemas" / "agreement.schema.json").read_text())
    found: list[list[str]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            action = node.get("action")
            if isinstance(action, dict) and "enum" in action:
                found.append(action["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert found, "no escalation action enum in the agreement schema"
    assert {str(a) for a in EscalationAction} == set(found[0])
