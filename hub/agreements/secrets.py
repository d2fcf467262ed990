"""Secrets in agreements: only ever ``${env:NAME}`` references, resolved when a connector starts."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from hub.core.errors import AgreementProblem

ENV_REFERENCE = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")


def secret_paths(schema: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the settings a connector's schema marks ``"x-secret": true``."""
    for name, sub in schema.get("properties", {}).items():
        path = f"{prefix}.{name}" if prefix else name
        if sub.get("x-secret"):
            yield path
        yield from secret_paths(sub, path)


def check_secrets(
    settings: Mapping[str, Any], schema: Mapping[str, Any], file: str
) -> list[AgreementProblem]:
    problems = []
    for path in secret_paths(schema):
        value: Any = settings
        for part in path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value is not None and not (isinstance(value, str) and ENV_REFERENCE.match(value)):
            problems.append(
                AgreementProblem(
                    file,
                    f"connector.settings.{path}",
                    "is a secret: write it as ${env:NAME}, never the value itself",
                )
            )
    return problems


def resolve_env(value: Any, environ: Mapping[str, str] | None = None) -> Any:
    """Replace every ``${env:NAME}`` in a settings tree with the variable's value."""
    environ = os.environ if environ is None else environ
    if isinstance(value, dict):
        return {k: resolve_env(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_env(v, environ) for v in value]
    if isinstance(value, str) and (match := ENV_REFERENCE.match(value)):
        name = match.group(1)
        if name not in environ:
            raise KeyError(f"environment variable {name} is not set")
        return environ[name]
    return value
