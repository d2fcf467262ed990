"""The supervising office's figures: per agency and province-wide, for a period, and by month.

::

    with session_scope() as session:
        board = figures(session, parse_period("1405-08"))   # board.agencies, board.province
        months = trend(session, parse_period("1405"), "golestan-water")

Every number comes out of SQL aggregates (:mod:`hub.supervision.figures.aggregate`); this module
only names
them, turns counts into rates and hours, and joins the agencies' names from their agreements.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from hub.db.types import utcnow
from hub.supervision.figures import aggregate
from hub.supervision.figures.periods import Period

_HOUR = 3600.0


@dataclass(frozen=True)
class Figures:
    """How one agency (or the province, ``agreement_id`` None) answered in one period."""

    period: str
    agreement_id: str | None
    received: int = 0
    delivered: int = 0
    resolved: int = 0
    viewed_on_time_pct: float | None = None
    acted_on_time_pct: float | None = None
    resolved_on_time_pct: float | None = None
    resolved_unsuccessful: int = 0  # of ``resolved``: closed without being done
    rejected: int = 0  # of ``resolved``: refused on their merits
    view_median_hours: float | None = None
    view_p90_hours: float | None = None
    resolve_median_hours: float | None = None
    resolve_p90_hours: float | None = None
    overdue_now: int = 0
    violations: int = 0
    delivery_failures: int = 0
    satisfaction_avg: float | None = None
    ratings: int = 0
    reopen_rate_pct: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Board:
    """The league table of a period: every agency, and the province as a whole."""

    period: Period
    agencies: list[Figures]
    province: Figures


def _pct(part: int | None, whole: int | None) -> float | None:
    return round(100.0 * (part or 0) / whole, 1) if whole else None


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(float(seconds) / _HOUR, 2)


def _build(
    label: str, agreement_id: str | None, counts: dict[str, Any] | None, overdue: int | None
) -> Figures:
    c = counts or {}
    ratings = int(c.get("ratings") or 0)
    return Figures(
        period=label,
        agreement_id=agreement_id,
        received=int(c.get("received") or 0),
        delivered=int(c.get("delivered") or 0),
        resolved=int(c.get("resolved") or 0),
        resolved_unsuccessful=int(c.get("resolved_unsuccessful") or 0),
        rejected=int(c.get("rejected") or 0),
        viewed_on_time_pct=_pct(c.get("view_met"), c.get("view_decided")),
        acted_on_time_pct=_pct(c.get("act_met"), c.get("act_decided")),
        resolved_on_time_pct=_pct(c.get("result_met"), c.get("result_decided")),
        view_median_hours=_hours(c.get("view_median_seconds")),
        view_p90_hours=_hours(c.get("view_p90_seconds")),
        resolve_median_hours=_hours(c.get("resolve_median_seconds")),
        resolve_p90_hours=_hours(c.get("resolve_p90_seconds")),
        overdue_now=int(overdue or 0),
        violations=int(c.get("violations") or 0),
        delivery_failures=int(c.get("delivery_failures") or 0),
        satisfaction_avg=round(int(c["rating_sum"]) / ratings, 2) if ratings else None,
        ratings=ratings,
        reopen_rate_pct=_pct(c.get("reopens"), int(c.get("resolved") or 0)),
    )


def figures(
    session: Session,
    period: Period,
    *,
    agreement_ids: list[str] | None = None,
    now: datetime | None = None,
) -> Board:
    """Every agency's figures for ``period`` (those named in ``agreement_ids`` always appear)."""
    now = now or utcnow()
    counts = aggregate.period_counts(session, period, now, True, False, with_total=True)
    overdue = aggregate.overdue_now(session, now, by_agency=True)
    province_counts = counts.pop((None,), {})
    rows = aggregate.merge(counts, overdue)
    for agreement_id in agreement_ids or ():
        rows.setdefault((agreement_id,), [None] * 2)  # an agency with nothing yet: zeros
    agencies = [_build(period.label, key[0], *values) for key, values in sorted(rows.items())]
    province = _build(period.label, None, province_counts, sum(a.overdue_now for a in agencies))
    return Board(period, agencies, province)


def trend(
    session: Session,
    period: Period,
    agreement_id: str | None = None,
    *,
    now: datetime | None = None,
) -> list[Figures]:
    """One agency's (or the province's) figures for each Jalali month of ``period``, in order.

    ``overdue_now`` is a figure of today, not of a month: it is left at 0 in a trend.
    """
    now = now or utcnow()
    counts = aggregate.period_counts(session, period, now, False, True, only=agreement_id)
    by_month = {key[-1]: values for key, values in counts.items()}
    return [
        _build(month.label, agreement_id, by_month.get(month.label), None)
        for month in period.months()
    ]
