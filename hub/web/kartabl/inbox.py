"""What a kartabl shows: the inbox rows, one referral's facts, and its deadlines counting down.

Deadlines count in working time on the agreement's own business calendar, as the escalation
ladder counts them: a referral's "4 working hours left" here is the ladder's too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.core.states import ReferralState
from hub.db.models import Event, Referral, Request
from hub.db.models_access import User
from hub.db.models_kartabl import KartablAssignment
from hub.deadlines.due_times import DEADLINES, STOPPED, DeadlinePolicy, calendars, is_met
from hub.web.kartabl.access import Desk, visible

# Under this share of its working time left, a deadline shows as close.
CLOSE_SHARE = 0.25
MAX_ROWS = 200


@dataclass(frozen=True)
class Countdown:
    deadline: str  # view, act, result
    due_at: datetime
    level: str  # met, ok, close, late, stopped
    left: timedelta  # working time left (negative: late by)


@dataclass(frozen=True)
class Row:
    referral: Referral
    request: Request
    unit: str | None
    assignee: str | None
    countdowns: list[Countdown] = field(default_factory=list)

    @property
    def is_new(self) -> bool:
        return self.referral.state == ReferralState.DELIVERED


@dataclass(frozen=True)
class Filters:
    state: str = ""
    category: str = ""
    county: str = ""
    unit: str = ""


def units_of(agreement: Agreement) -> list[dict[str, str]]:
    return [dict(u) for u in agreement.connector_settings.get("units", [])]


def inbox(session: Session, desk: Desk, filters: Filters, now: datetime) -> list[Row]:
    """The desk's referrals, new (not yet opened) first, then the newest."""
    query = (
        select(Referral, Request, KartablAssignment.unit, User.username)
        .join(Request, Request.id == Referral.request_id)
        .outerjoin(KartablAssignment, KartablAssignment.referral_id == Referral.id)
        .outerjoin(User, User.id == KartablAssignment.assignee_id)
        .where(visible(desk))
    )
    if filters.state:
        query = query.where(Referral.state == filters.state)
    if filters.category:
        query = query.where(Request.category == filters.category)
    if filters.county:
        query = query.where(Request.county == filters.county)
    if filters.unit:
        query = query.where(KartablAssignment.unit == filters.unit)
    new_first = case((Referral.state == str(ReferralState.DELIVERED), 0), else_=1)
    query = query.order_by(new_first, Referral.created_at.desc()).limit(MAX_ROWS)
    return [
        Row(referral, request, unit, assignee, countdowns(desk.agreement, referral, request, now))
        for referral, request, unit, assignee in session.execute(query)
    ]


def choices(session: Session, desk: Desk) -> dict[str, list[str]]:
    """The values the filters offer: those the desk's referrals have."""
    base = (
        select(Request.category, Request.county, Referral.state)
        .join(Referral, Referral.request_id == Request.id)
        .outerjoin(KartablAssignment, KartablAssignment.referral_id == Referral.id)
        .where(visible(desk))
        .distinct()
    )
    rows = session.execute(base).all()
    return {
        "category": sorted({r.category for r in rows}),
        "county": sorted({r.county for r in rows}),
        "state": sorted({r.state for r in rows}),
    }


def row_of(session: Session, desk: Desk, referral: Referral, now: datetime) -> Row:
    request = session.get_one(Request, referral.request_id)
    assignment = session.get(KartablAssignment, referral.id)
    assignee = (
        session.get(User, assignment.assignee_id) if assignment and assignment.assignee_id else None
    )
    return Row(
        referral,
        request,
        assignment.unit if assignment else None,
        assignee.username if assignee else None,
        countdowns(desk.agreement, referral, request, now),
    )


def countdowns(
    agreement: Agreement, referral: Referral, request: Request, now: datetime
) -> list[Countdown]:
    policy = DeadlinePolicy.of(agreement, request.type)
    calendar = calendars().get(policy.calendar)
    start = referral.deadlines_started_at or referral.created_at
    shown = []
    for name in DEADLINES:
        due = getattr(referral, f"{name}_due_at")
        if due is None:
            continue
        left = calendar.working_time_between(now, due)
        if is_met(referral.state, name):
            level = "met"
        elif ReferralState(referral.state) in STOPPED:
            level = "stopped"
        elif left <= timedelta(0):
            level = "late"
        else:
            whole = calendar.working_time_between(start, due)
            level = "close" if whole and left / whole < CLOSE_SHARE else "ok"
        shown.append(Countdown(name, due, level, left))
    return shown


def shared_request(agreement: Agreement, request: Request) -> dict[str, Any]:
    """The request as this agency may read it: the citizen's fields it is given, nothing else."""
    document = dict(request.document)
    citizen = document.get("citizen") or {}
    document["citizen"] = {k: v for k, v in citizen.items() if k in agreement.share_citizen}
    return document


def history(session: Session, referral: Referral) -> list[Event]:
    """The referral's own events, oldest first (the agency's part of the request's story)."""
    return list(
        session.scalars(select(Event).where(Event.referral_id == referral.id).order_by(Event.id))
    )
