"""The agreements the hub works under, as loaded right now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from hub.api.auth import StaffDep
from hub.api.deps import RegistryDep

router = APIRouter(prefix="/v1/agreements", tags=["agreements"])


@router.get("")
def list_agreements(registry: RegistryDep, caller: StaffDep) -> dict[str, Any]:
    """Every valid agreement, and the problems of files that could not be loaded."""
    return {
        "items": [
            {
                "id": a.id,
                "version": a.version,
                "name_fa": a.name_fa,
                "name_en": a.name_en,
                "enabled": a.enabled,
                "priority": a.priority,
                "connector": a.connector_type,
                "routes": [
                    {"categories": list(r.categories), "counties": list(r.counties)}
                    for r in a.routes
                ],
                "poll_interval_seconds": a.poll_interval_seconds,
            }
            for a in registry.all()
        ],
        "problems": [
            {"file": p.file, "key": p.key_path, "message": p.message} for p in registry.problems
        ],
    }
