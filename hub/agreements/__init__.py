"""Agreements: one YAML file per agency agreement, validated, versioned and reloaded live."""

from hub.agreements.model import Agreement, Route
from hub.agreements.registry import AgreementRegistry, get_registry

__all__ = ["Agreement", "AgreementRegistry", "Route", "get_registry"]
