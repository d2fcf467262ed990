"""Agreements: one YAML file per agency agreement, validated, versioned and reloaded live, and
the field mapping each applies to the shared request.

May import: hub.plugins (connector settings schemas), hub.db, hub.core.
"""

from hub.agreements.model import Agreement, Route
from hub.agreements.registry import AgreementRegistry, get_registry

__all__ = ["Agreement", "AgreementRegistry", "Route", "get_registry"]
