"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Path, Query
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry, get_registry
from hub.db.session import session_scope
from hub.settings import Settings, get_settings


def _session() -> Iterator[Session]:
    with session_scope() as session:
        yield session


# Cheap dependencies are ``async``: FastAPI runs a plain ``def`` dependency in the thread pool, and
# a hop to a thread and back per dependency per request is measurable on the intake path.
async def _registry() -> AgreementRegistry:
    return get_registry()  # cached; refreshing it is a stat of the agreement directory


async def _settings() -> Settings:
    return get_settings()


SessionDep = Annotated[Session, Depends(_session)]
RegistryDep = Annotated[AgreementRegistry, Depends(_registry)]
SettingsDep = Annotated[Settings, Depends(_settings)]

# Numbers that reach SQL must fit its BIGINT: a larger one is a 422 naming it, never a 500.
BIGINT_MAX = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
OffsetQuery = Annotated[int, Query(ge=0, le=BIGINT_MAX)]
