"""Presets: what an agreement with a common kind of agency system starts from.

``connector: {type: soap, preset: znuny, settings: {…}}`` lays the agreement over
``config/presets/znuny.yaml`` (under ``SAMAD_CONFIG_DIR``) — a part of an agreement: connector
settings, mapping, status map, delivery … for that kind of system. Objects are merged key by key,
the agreement's values winning; anything else is replaced; a ``mapping`` or ``status_map`` entry
set to ``null`` in the agreement removes the preset's. The result is validated as any agreement,
and the preset's text is part of the agreement's version.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from hub.agreements.overlay import merged
from hub.core.errors import AgreementProblem
from hub.core.settings import get_settings

PRESET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
REMOVABLE = ("mapping", "status_map")


def presets_dir() -> Path:
    return get_settings().config_dir / "presets"


def _problem(file: str, message: str) -> list[AgreementProblem]:
    return [AgreementProblem(file, "connector.preset", message)]


def _read(name: str, file: str) -> tuple[Any, str, list[AgreementProblem]]:
    directory = presets_dir()
    path = directory / f"{name}.yaml"
    if not PRESET_NAME.match(name) or not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.yaml"))) or "none"
        return None, "", _problem(file, f"no preset {name!r} in {directory} (there are: {known})")
    text = path.read_text(encoding="utf-8")
    try:
        preset = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        return None, "", _problem(file, f"the preset {path} is not valid YAML: {exc}")
    if not isinstance(preset, dict) or not isinstance(preset.get("connector"), dict):
        return None, "", _problem(file, f"the preset {path} has no connector block")
    return preset, text, []


def with_preset(doc: Any, file: str) -> tuple[Any, str, list[AgreementProblem]]:
    """The agreement laid over the preset it names (or as it is), the preset's text, problems."""
    connector = doc.get("connector") if isinstance(doc, dict) else None
    if not isinstance(connector, dict) or not isinstance(connector.get("preset"), str):
        return doc, "", []
    name = connector["preset"]
    preset, text, problems = _read(name, file)
    if problems:
        return doc, "", problems
    kind = preset["connector"].get("type")
    if connector.get("type", kind) != kind:
        return doc, "", _problem(file, f"the preset {name!r} is for {kind} connectors")
    whole = merged(preset, doc)
    for key in REMOVABLE:
        if isinstance(whole.get(key), dict):
            whole[key] = {k: v for k, v in whole[key].items() if v is not None}
    return whole, text, []
