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


SessionDep = Annotated[Session, Depends(_session)]
RegistryDep = Annotated[AgreementRegistry, Depends(get_registry)]
SettingsDep = Annotated[Settings, Depends(get_settings)]

# Numbers that reach SQL must fit its BIGINT: a larger one is a 422 naming it, never a 500.
BIGINT_MAX = 2**63 - 1
RowId = Annotated[int, Path(ge=1, le=BIGINT_MAX)]
OffsetQuery = Annotated[int, Query(ge=0, le=BIGINT_MAX)]
