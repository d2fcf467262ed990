"""Secrets in agreements: only ever ``${env:NAME}`` references, resolved when a connector starts."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from hub.core.errors import AgreementProblem

ENV_REFERENCE = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")


def secret_paths(schema: Mapping[str, Any], prefix: str = "") -> Iterator[str]:
    """Dotted paths of the settings a connector's schema marks ``"x-secret": true``; ``*`` for
    every key of an object whose ``additionalProperties`` are secrets (``body_auth.*``)."""
    named = [(name, sub) for name, sub in schema.get("properties", {}).items()]
    extra = schema.get("additionalProperties")
    if isinstance(extra, Mapping):
        named.append(("*", extra))
    for name, sub in named:
        path = f"{prefix}.{name}" if prefix else name
        if sub.get("x-secret"):
            yield path
        yield from secret_paths(sub, path)


def _values_at(settings: Any, parts: list[str], walked: str = "") -> Iterator[tuple[str, Any]]:
    """(concrete path, value) of every setting at ``parts``; ``*`` matches every key."""
    if not parts:
        yield walked, settings
        return
    if not isinstance(settings, Mapping):
        return
    head, *rest = parts
    for key in settings if head == "*" else [head]:
        if key in settings:
            yield from _values_at(settings[key], rest, f"{walked}.{key}" if walked else key)


def check_secrets(
    settings: Mapping[str, Any],
    schema: Mapping[str, Any],
    file: str,
    prefix: str = "connector.settings",
) -> list[AgreementProblem]:
    problems = []
    found = [
        item for secret in secret_paths(schema) for item in _values_at(settings, secret.split("."))
    ]
    for path, value in found:
        if value is not None and not (isinstance(value, str) and ENV_REFERENCE.match(value)):
            problems.append(
                AgreementProblem(
                    file,
                    f"{prefix}.{path}",
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
