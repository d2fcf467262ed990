"""Reading and validating agreement files, reporting every problem with file and key path."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from hub.agreements.mapping import mapping_problems
from hub.agreements.model import Agreement, Route
from hub.agreements.overlay import merged
from hub.agreements.presets import with_preset
from hub.agreements.secrets import check_secrets
from hub.core.errors import AgreementError, AgreementProblem, PluginError
from hub.core.shipped import SCHEMAS_DIR
from hub.core.states import Outcome, ReferralState
from hub.plugins.connector import ConnectorRegistry

SCHEMA_PATH = SCHEMAS_DIR / "agreement.schema.json"


@functools.cache
def _agreement_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _key_path(parts: Iterable[Any]) -> str:
    return ".".join(str(p) for p in parts) or "(top)"


def _schema_problems(
    validator: jsonschema.Draft202012Validator, doc: Any, file: str, prefix: str = ""
) -> list[AgreementProblem]:
    problems = []
    for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path))):
        path = _key_path([p for p in (prefix, *error.path) if p != ""])
        problems.append(AgreementProblem(file, path, error.message))
    return problems


def parse_agreement(
    text: str, file: str, connectors: ConnectorRegistry, path: Path | None = None
) -> Agreement:
    """Validate one agreement's YAML text; raise AgreementError with every problem found."""
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AgreementError([AgreementProblem(file, "(yaml)", str(exc))]) from exc
    doc, preset_text, problems = with_preset(doc, file)
    if preset_text:  # a changed preset is a new version of every agreement made from it
        text = f"{text}\n# preset\n{preset_text}"
    problems = problems or _schema_problems(_agreement_validator(), doc, file)
    if not problems:
        problems = _connector_problems(doc, file, connectors)
        problems += mapping_problems(doc.get("mapping", {}), file)
    if not problems and path is not None and doc["id"] != path.stem:
        problems = [AgreementProblem(file, "id", f"must equal the file name ({path.stem!r})")]
    if problems:
        raise AgreementError(problems)
    return _build(doc, text, path or Path(file))


def _connector_problems(
    doc: dict[str, Any], file: str, connectors: ConnectorRegistry
) -> list[AgreementProblem]:
    connector = doc["connector"]
    try:
        connector_type = connectors.get(connector["type"])
    except PluginError as exc:
        return [AgreementProblem(file, "connector.type", str(exc))]
    settings = connector.get("settings", {})
    validator = jsonschema.Draft202012Validator(
        connector_type.settings_schema, format_checker=jsonschema.FormatChecker()
    )
    problems = _schema_problems(validator, settings, file, "connector.settings")
    problems += check_secrets(settings, connector_type.settings_schema, file)
    if problems or "test_settings" not in connector:
        return problems
    # The test system's settings are the connector's own with these laid over: valid as such.
    overlay, prefix = connector["test_settings"], "connector.test_settings"
    problems = _schema_problems(validator, merged(settings, overlay), file, prefix)
    return problems + check_secrets(overlay, connector_type.settings_schema, file, prefix)


def _build(doc: dict[str, Any], text: str, path: Path) -> Agreement:
    polling = doc.get("polling", {})
    return Agreement(
        id=doc["id"],
        version=hashlib.sha256(text.encode("utf-8")).hexdigest()[:12],
        path=path,
        name_fa=doc["agency"]["name_fa"],
        name_en=doc["agency"]["name_en"],
        priority=doc.get("priority", 0),
        routes=tuple(
            Route(tuple(r["categories"]), tuple(r.get("counties", ()))) for r in doc["routes"]
        ),
        connector_type=doc["connector"]["type"],
        connector_settings=doc["connector"].get("settings", {}),
        mapping=doc.get("mapping", {}),
        status_map={k: ReferralState(_target(v)["state"]) for k, v in doc["status_map"].items()},
        poll_interval_seconds=polling.get("interval_seconds", 300),
        poll_batch_size=polling.get("batch_size", 50),
        document=doc,
        enabled=doc.get("enabled", True),
        outcomes={
            k: Outcome(_target(v)["outcome"])
            for k, v in doc["status_map"].items()
            if "outcome" in _target(v)
        },
    )


def _target(value: str | dict[str, str]) -> dict[str, str]:
    """A status_map value as ``{state, outcome?}``: a bare state name is the short form."""
    return {"state": value} if isinstance(value, str) else value


def load_file(path: Path, connectors: ConnectorRegistry) -> Agreement:
    return parse_agreement(path.read_text(encoding="utf-8"), str(path), connectors, path)


def agreement_files(directory: Path) -> list[Path]:
    return sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])


def load_directory(
    directory: Path, connectors: ConnectorRegistry
) -> tuple[dict[str, Agreement], list[AgreementProblem]]:
    """Every valid agreement in ``directory``, and every problem of the invalid ones."""
    agreements: dict[str, Agreement] = {}
    problems: list[AgreementProblem] = []
    if not directory.is_dir():
        return {}, [AgreementProblem(str(directory), "(dir)", "is not a directory")]
    for path in agreement_files(directory):
        try:
            agreements[path.stem] = load_file(path, connectors)
        except AgreementError as exc:
            problems.extend(exc.problems)
    return agreements, problems
