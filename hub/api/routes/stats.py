"""Supervision figures over HTTP: the league table of a period and an agency's monthly trend."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from hub.api.auth import SupervisorDep
from hub.api.deps import RegistryDep, SessionDep
from hub.api.presenters import agency_names
from hub.calendars.jalali import JalaliDateError
from hub.core.errors import FieldError, NotFound, ValidationFailed
from hub.db.types import utcnow
from hub.supervision.figures import Figures, Period, current_month, figures, parse_period, trend
from hub.supervision.figures.periods import FORMS_FA

router = APIRouter(prefix="/v1/stats", tags=["stats"])

PeriodQuery = Annotated[
    str | None,
    Query(description="1405-08 (month), 1405-Q3 (quarter), 1405 (year) or 1405-01-01..1405-01-15"),
]


def _period(text: str | None, default: Period) -> Period:
    if not text:
        return default
    try:
        return parse_period(text)
    except JalaliDateError as exc:
        raise ValidationFailed(
            [FieldError(path="$.period", message=str(exc), message_fa=FORMS_FA)]
        ) from exc


def _named(row: Figures, registry: Any) -> dict[str, Any]:
    names = agency_names(registry, row.agreement_id) if row.agreement_id else {}
    return {**row.as_dict(), **names}


@router.get("/agencies")
def agencies(
    caller: SupervisorDep, session: SessionDep, registry: RegistryDep, period: PeriodQuery = None
) -> dict[str, Any]:
    """Every agency's figures for the period (default: this Jalali month), and the province's."""
    chosen = _period(period, current_month(utcnow()))
    board = figures(session, chosen, agreement_ids=[a.id for a in registry.all()])
    return {
        "period": chosen.label,
        "start": chosen.start.isoformat(),
        "end": chosen.end.isoformat(),
        "agencies": [_named(row, registry) for row in board.agencies],
        "province": board.province.as_dict(),
    }


@router.get("/trend")
def monthly_trend(
    caller: SupervisorDep,
    session: SessionDep,
    registry: RegistryDep,
    period: PeriodQuery = None,
    agency: Annotated[str | None, Query(description="agreement id; none = the province")] = None,
) -> dict[str, Any]:
    """The figures month by month over the period (default: this Jalali year)."""
    if agency and agency not in {a.id for a in registry.all()}:
        raise NotFound(f"no agency {agency!r}")
    chosen = _period(period, parse_period(current_month(utcnow()).label[:4]))
    return {
        "period": chosen.label,
        "agency": agency,
        "months": [row.as_dict() for row in trend(session, chosen, agency)],
    }
