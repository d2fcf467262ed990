"""Dependencies shared by the routes, as ``Annotated`` aliases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Query
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from hub.agreements.registry import AgreementRegistry, get_registry
from hub.core.errors import FieldError, ValidationFailed
from hub.core.settings import Settings, get_settings
from hub.db.session import new_session


async def _session() -> AsyncIterator[Session]:
    """The request's session, committed on success and rolled back on error, like session_scope.

    Making a session does no I/O, so it is made here in the event loop; only finishing one that
    still holds a transaction goes to a thread (a route that committed its work, like intake,
    leaves nothing to finish: no thread hop at either end).
    """
    session = new_session()
    try:
        yield session
        if session.in_transaction():
            await run_in_threadpool(session.commit)
    except BaseException:
        if session.in_transaction():
            await run_in_threadpool(session.rollback)
        raise
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()  # no transaction: nothing to send to the database


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

# Moments a filter may name: anything outside is surely a typo, and far dates overflow the
# date arithmetic of the database drivers (year 1 with an offset is before datetime.min).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def query_moment(value: datetime | None, name: str) -> datetime | None:
    """``value`` in UTC (none given: UTC), or a 422 naming the parameter when out of range."""
    if value is None:
        return None
    try:
        moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except (OverflowError, ValueError):
        moment = None
    if moment is None or not EARLIEST <= moment < LATEST:
        raise ValidationFailed(
            [
                FieldError(
                    f"$.{name}",
                    f"{name}={value.isoformat()} is out of range: give a moment from "
                    f"{EARLIEST.date()} to {LATEST.date()} (ISO 8601, UTC unless an offset is "
                    "given)",
                    f"تاریخ {name} خارج از بازهٔ پذیرفته است: از ۲۰۰۰-۰۱-۰۱ تا ۲۱۰۰-۰۱-۰۱",
                )
            ]
        )
    return moment


def query_range(
    start: datetime | None, end: datetime | None, names: tuple[str, str] = ("from", "to")
) -> tuple[datetime | None, datetime | None]:
    """Both ends checked by :func:`query_moment`, and the range not reversed."""
    first, last = query_moment(start, names[0]), query_moment(end, names[1])
    if first is not None and last is not None and last < first:
        raise ValidationFailed(
            [
                FieldError(
                    f"$.{names[0]}",
                    f"{names[0]} is after {names[1]}: the range ends before it starts",
                    f"تاریخ {names[0]} پس از {names[1]} است",
                )
            ]
        )
    return first, last
