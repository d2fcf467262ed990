"""The deadline sweep: claim referrals whose next deadline firing is due, take the ladder's
steps, record them, and move ``next_deadline_at`` on.

Claiming is ``SELECT … WHERE next_deadline_at <= now ORDER BY next_deadline_at LIMIT n FOR
UPDATE SKIP LOCKED`` on an index, so a sweep costs what is due, not what is open, and two
sweepers never hold the same referral. Each step is inserted under a unique (referral, key)
before anything is sent — ``ON CONFLICT DO NOTHING`` — and only the steps this sweep inserted
get their actions: a violation recorded, messages recorded for the notification sweep to send.
A crash before the commit leaves nothing behind; after it, the unique keys stop a second take.

Actions:

- ``remind_agency``: a reminder on the agency's own system, where its connector can carry one
  (:mod:`hub.notifications.agency_reminders`); otherwise an email to the agency's contacts;
- ``notify_supervisor``: an email to the agency's supervisor;
- ``record_violation``: a ``violations`` row (one per deadline instance; a repeat brings its
  ``late_seconds`` up to date);
- ``notify_inspection``: an email to the agreement's ``notifications.inspection_office``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.agreements.model import Agreement
from hub.agreements.registry import AgreementRegistry
from hub.calendars.jalali import format_jalali
from hub.core.errors import NotFound
from hub.db.bulk import dialect_insert, insert_rows
from hub.db.models import Referral, Request
from hub.db.models_deadlines import EscalationStep, Violation
from hub.db.types import utcnow
from hub.deadlines.due_times import (
    DeadlinePolicy,
    EscalationAction,
    Firing,
    calendars,
    late_by,
    plan,
)
from hub.notifications.agency_reminders import ReminderRoute, reminder_rows
from hub.notifications.messages import Rendered, render
from hub.notifications.outbox import message_row, record_notifications
from hub.plugins.connector import ReminderKind
from hub.referrals.events import EventKind, insert_events

log = logging.getLogger(__name__)

DEADLINE_FA = {"view": "رؤیت", "act": "اقدام", "result": "پاسخ نهایی"}


@dataclass
class SweepResult:
    claimed: int = 0
    steps: int = 0
    violations: int = 0
    notifications: int = 0


@dataclass(frozen=True)
class _Due:
    referral: Referral
    request: Request
    agreement: Agreement
    firing: Firing
    late_seconds: int


def sweep_deadlines(
    session: Session, registry: AgreementRegistry, now: datetime, limit: int
) -> SweepResult:
    """Take the ladder steps due at ``now`` for up to ``limit`` referrals (caller commits)."""
    rows = session.execute(
        select(Referral, Request)
        .join(Request, Request.id == Referral.request_id)
        .where(Referral.next_deadline_at <= now)
        .order_by(Referral.next_deadline_at)
        .limit(limit)
        .with_for_update(of=Referral, skip_locked=True)
    ).all()
    if not rows:
        return SweepResult()
    taken = _taken_keys(session, [referral.id for referral, _ in rows])
    due: list[_Due] = []
    next_times: list[dict[str, Any]] = []
    for referral, request in rows:
        next_at = _plan_one(referral, request, registry, taken[referral.id], now, due)
        next_times.append({"id": referral.id, "next_deadline_at": next_at})
    result = SweepResult(claimed=len(rows))
    new = _insert_steps(session, due, now)
    result.steps = len(new)
    result.violations = _record_violations(session, new, now)
    result.notifications = _record_messages(session, new, ReminderRoute(registry))
    session.execute(update(Referral), next_times)
    return result


def _taken_keys(session: Session, referral_ids: list[int]) -> dict[int, set[str]]:
    taken: dict[int, set[str]] = defaultdict(set)
    for referral_id, key in session.execute(
        select(EscalationStep.referral_id, EscalationStep.key).where(
            EscalationStep.referral_id.in_(referral_ids)
        )
    ):
        taken[referral_id].add(key)
    return taken


def _plan_one(
    referral: Referral,
    request: Request,
    registry: AgreementRegistry,
    taken: set[str],
    now: datetime,
    due: list[_Due],
) -> datetime | None:
    """Add the referral's due steps to ``due``; return its next firing after them."""
    try:
        agreement = registry.get(referral.agreement_id)
    except NotFound:
        log.error(
            "referral %s: agreement %s is gone; no more escalation",
            referral.id,
            referral.agreement_id,
        )
        return None
    policy = DeadlinePolicy.of(agreement, request.type)
    calendar = calendars().get(policy.calendar)
    firings, next_at = plan(referral, policy, calendar, taken, now)
    for firing in firings:
        late = int(late_by(calendar, firing.due_at, now).total_seconds())
        due.append(_Due(referral, request, agreement, firing, late))
    return next_at


def _insert_steps(session: Session, due: list[_Due], now: datetime) -> list[tuple[int, _Due]]:
    """Insert every step; returns (step id, step) for those this sweep inserted first."""
    if not due:
        return []
    by_key = {(d.referral.id, d.firing.key): d for d in due}
    rows = [
        {
            "referral_id": d.referral.id,
            "agreement_id": d.agreement.id,
            "key": d.firing.key,
            "deadline": d.firing.rung.deadline,
            "action": d.firing.rung.action,
            "at_percent": d.firing.rung.at_percent,
            "round": d.firing.round,
            "due_at": d.firing.due_at,
            "fire_at": d.firing.fire_at,
            "taken_at": now,
        }
        for d in due
    ]
    inserted = insert_rows(
        session,
        EscalationStep,
        rows,
        ignore_duplicates=True,
        returning=("id", "referral_id", "key"),
    )
    new = [(step_id, by_key[(rid, key)]) for step_id, rid, key in inserted]
    written = utcnow()  # events keep real time, whatever clock the sweep runs on
    insert_events(session, [_escalated_event(step_id, d, written) for step_id, d in new])
    return new


def _escalated_event(step_id: int, d: _Due, written: datetime) -> dict[str, Any]:
    """The ``deadline.escalated`` event of a step, as a row (written in one batch with the rest)."""
    return {
        "kind": str(EventKind.DEADLINE_ESCALATED),
        "request_id": d.referral.request_id,
        "referral_id": d.referral.id,
        "from_state": None,
        "to_state": None,
        "actor": "deadline-sweep",
        "created_at": written,
        "data": {
            "step": step_id,
            "deadline": d.firing.rung.deadline,
            "action": d.firing.rung.action,
            "at_percent": d.firing.rung.at_percent,
            "round": d.firing.round,
            "due_at": d.firing.due_at.isoformat(),
            "late_seconds": d.late_seconds,
        },
    }


def _record_violations(session: Session, new: list[tuple[int, _Due]], now: datetime) -> int:
    rows = [
        {
            "agreement_id": d.agreement.id,
            "referral_id": d.referral.id,
            "deadline": d.firing.rung.deadline,
            "due_at": d.firing.due_at,
            "recorded_at": now,
            "updated_at": now,
            "late_seconds": d.late_seconds,
        }
        for _, d in new
        if d.firing.rung.action is EscalationAction.RECORD_VIOLATION
    ]
    if not rows:
        return 0
    insert = dialect_insert(session, Violation)
    statement = insert.on_conflict_do_update(
        index_elements=["referral_id", "deadline", "due_at"],
        set_={"late_seconds": insert.excluded.late_seconds, "updated_at": now},
    )
    session.execute(statement, rows)
    return len(rows)


def _recipients(agreement: Agreement, action: EscalationAction) -> list[tuple[str, str]]:
    """(name, email) of who hears about ``action``."""
    agency = agreement.document.get("agency") or {}
    if action is EscalationAction.NOTIFY_SUPERVISOR:
        people = [agency["supervisor"]] if agency.get("supervisor") else []
    elif action is EscalationAction.NOTIFY_INSPECTION:
        office = (agreement.document.get("notifications") or {}).get("inspection_office")
        people = [office] if office else []
    else:
        people = []
    return [(p.get("name", ""), p["email"]) for p in people if p.get("email")]


def _record_messages(session: Session, new: list[tuple[int, _Due]], route: ReminderRoute) -> int:
    rows = []
    for step_id, d in new:
        action = d.firing.rung.action
        key = f"step:{step_id}:{action}"
        if action is EscalationAction.REMIND_AGENCY:
            reminder = {
                "kind": ReminderKind.DEADLINE,
                "deadline": d.firing.rung.deadline,
                "due_at": d.firing.due_at,
                "late_seconds": d.late_seconds,
            }
            text = _letter(d, action)
            rows += reminder_rows(key, action, d.referral, d.agreement, text, route, reminder)
            continue
        for name, email in _recipients(d.agreement, action):
            rows.append(
                message_row(
                    f"{key}:{email}",
                    action,
                    "email",
                    email,
                    _letter(d, action, name),
                    request_id=d.referral.request_id,
                    referral_id=d.referral.id,
                    agreement_id=d.agreement.id,
                )
            )
    return record_notifications(session, rows)


def _letter(d: _Due, action: EscalationAction, name: str = "") -> Rendered:
    return render(
        action,
        agency=d.agreement.name_fa,
        supervisor=name,
        office=name,
        reference=d.referral.reference,
        tracking_code=d.request.tracking_code,
        subject=d.request.document.get("subject", ""),
        deadline_fa=DEADLINE_FA[d.firing.rung.deadline],
        due_fa=format_jalali(d.firing.due_at),
        late=f"{d.late_seconds / 3600:.1f}" if d.late_seconds else "",
    )
