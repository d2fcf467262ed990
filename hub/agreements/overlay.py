"""The agency's test system: ``connector.test_settings`` laid over ``connector.settings``.

An agreement may name a test system of the agency (another base URL, WSDL or endpoint, its own
credentials); ``samad-hub agreements check`` then pushes a sample referral there as a dry run.
Only the keys given change: objects are merged key by key, anything else is replaced.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def merged(settings: Mapping[str, Any], overlay: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` with ``overlay`` laid over it."""
    result = dict(settings)
    for key, value in overlay.items():
        below = result.get(key)
        if isinstance(value, Mapping) and isinstance(below, Mapping):
            result[key] = merged(below, value)
        else:
            result[key] = value
    return result


def settings_for_test_system(document: Mapping[str, Any]) -> dict[str, Any] | None:
    """The connector settings for the agency's test system, or None when it names none."""
    connector = document.get("connector", {})
    if "test_settings" not in connector:
        return None
    return merged(connector.get("settings", {}), connector["test_settings"])
