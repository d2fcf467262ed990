"""What a kartabl person does to a referral, applied as the agency's own update.

Each action becomes an :class:`~hub.plugins.connector.AgencyUpdate` with one of the portal
connector's statuses, applied by :func:`hub.polling.updates.apply_update` — stored once, mapped by
the agreement's status map, moved by the state machine — exactly as a REST agency's update. A
``kartabl.action`` event then says who did what (the note, the unit, the reason), so the
referral's history has every action, also those that change no state (an interim action on a
referral already in progress).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connectors.portal.connector import (
    ACCEPTED,
    FORWARDED,
    INTERIM,
    NOT_OUR_REMIT,
    RESULT_STATUSES,
    VIEWED,
)
from hub.agreements.registry import AgreementRegistry
from hub.core.states import ReferralState
from hub.db.models import Referral
from hub.db.models_access import User
from hub.db.models_kartabl import KartablAssignment, KartablMember
from hub.db.types import utcnow
from hub.plugins.connector import AgencyUpdate
from hub.polling.updates import UpdateOutcome, apply_update
from hub.referrals.events import EventKind, record
from hub.web.kartabl.access import Desk
from hub.web.kartabl.inbox import units_of

MAX_TEXT = 5000


class Action(StrEnum):
    ACCEPT = "accept"
    FORWARD = "forward"
    INTERIM = "interim"
    RESULT = "result"
    REMIT = "remit"


@dataclass
class Problems:
    """What was wrong with a form, by field: (English, Persian)."""

    fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    def add(self, name: str, message: str, message_fa: str) -> None:
        self.fields[name] = (message, message_fa)

    def __bool__(self) -> bool:
        return bool(self.fields)


class FormRefused(Exception):
    def __init__(self, problems: Problems) -> None:
        super().__init__(", ".join(problems.fields))
        self.problems = problems


OPEN_STATES = frozenset(
    {
        ReferralState.DELIVERED,
        ReferralState.VIEWED,
        ReferralState.IN_PROGRESS,
        ReferralState.FORWARDED,
    }
)


def record_viewed(
    session: Session, desk: Desk, referral: Referral, registry: AgreementRegistry
) -> bool:
    """The first opening of a delivered referral: it is viewed, by this person, now."""
    if referral.state != ReferralState.DELIVERED:
        return False
    outcome = _apply(session, desk, referral, registry, VIEWED)
    _event(session, desk, referral, "viewed", outcome)
    return outcome is UpdateOutcome.APPLIED


def act(
    session: Session,
    desk: Desk,
    referral: Referral,
    registry: AgreementRegistry,
    action: Action,
    form: dict[str, str],
) -> UpdateOutcome:
    """Apply ``action`` with the form's values; :class:`FormRefused` names each bad field."""
    problems = Problems()
    if ReferralState(referral.state) not in OPEN_STATES:
        problems.add(
            "action",
            "the referral is no longer open in this kartabl",
            "این ارجاع دیگر در جریان رسیدگی این دستگاه نیست",
        )
        raise FormRefused(problems)
    text = form.get("text", "").strip()
    if len(text) > MAX_TEXT:
        problems.add("text", f"at most {MAX_TEXT} characters", f"حداکثر {MAX_TEXT} نویسه")
    if action is Action.ACCEPT:
        _no_problems(problems)
        outcome = _apply(session, desk, referral, registry, ACCEPTED, note=text or None)
        _event(session, desk, referral, str(action), outcome, note=text)
        return outcome
    if action is Action.FORWARD:
        return _forward(session, desk, referral, registry, form, problems, text)
    if not text:
        what = {"interim": "the action taken", "result": "the result", "remit": "the reason"}
        problems.add("text", f"{what[str(action)]} is required", "این بخش را بنویسید")
    if action is Action.INTERIM:
        _no_problems(problems)
        outcome = _apply(session, desk, referral, registry, INTERIM, note=text)
        _event(session, desk, referral, str(action), outcome, note=text)
        return outcome
    if action is Action.RESULT:
        status = form.get("outcome", "")
        if status not in RESULT_STATUSES:
            problems.add("outcome", "choose how the request ended", "نتیجه را انتخاب کنید")
        _no_problems(problems)
        outcome = _apply(session, desk, referral, registry, status, result=text)
        _event(session, desk, referral, str(action), outcome, note=text, result_status=status)
        return outcome
    _no_problems(problems)
    outcome = _apply(session, desk, referral, registry, NOT_OUR_REMIT, note=text)
    _event(session, desk, referral, str(action), outcome, note=text)
    return outcome


def _forward(
    session: Session,
    desk: Desk,
    referral: Referral,
    registry: AgreementRegistry,
    form: dict[str, str],
    problems: Problems,
    text: str,
) -> UpdateOutcome:
    if not desk.is_lead:
        problems.add("unit", "only the agency's lead forwards", "فقط مسئول کارتابل ارجاع می‌دهد")
    unit = form.get("unit", "")
    if unit not in {u["id"] for u in units_of(desk.agreement)}:
        problems.add("unit", "choose one of the agency's units", "یکی از واحدها را انتخاب کنید")
    assignee = _assignee(session, desk, form.get("assignee", "").strip(), unit, problems)
    _no_problems(problems)
    assign(session, desk, referral, unit, assignee)
    outcome = _apply(session, desk, referral, registry, FORWARDED, note=text or None)
    _event(
        session,
        desk,
        referral,
        "forward",
        outcome,
        note=text,
        unit=unit,
        assignee=form.get("assignee", "").strip() or None,
    )
    return outcome


def _assignee(
    session: Session, desk: Desk, username: str, unit: str, problems: Problems
) -> int | None:
    """The colleague named in the form, who must be of this agency (and of that unit)."""
    if not username:
        return None
    found = session.execute(
        select(User.id, KartablMember.unit)
        .join(KartablMember, KartablMember.user_id == User.id)
        .where(User.username == username[:64], KartablMember.agreement_id == desk.agreement.id)
    ).first()
    if found is None:
        problems.add(
            "assignee", "no such colleague in this agency", "چنین همکاری در این دستگاه نیست"
        )
        return None
    if found.unit and found.unit != unit:
        problems.add("assignee", "this colleague is in another unit", "این همکار در واحد دیگری است")
    return int(found.id)


def assign(
    session: Session, desk: Desk, referral: Referral, unit: str, assignee_id: int | None
) -> None:
    row = session.get(KartablAssignment, referral.id)
    if row is None:
        row = KartablAssignment(referral_id=referral.id, agreement_id=desk.agreement.id)
        session.add(row)
    row.unit, row.assignee_id = unit, assignee_id
    row.assigned_by, row.assigned_at = desk.actor, utcnow()
    session.flush()


def _no_problems(problems: Problems) -> None:
    if problems:
        raise FormRefused(problems)


def _apply(
    session: Session,
    desk: Desk,
    referral: Referral,
    registry: AgreementRegistry,
    status: str,
    *,
    result: str | None = None,
    note: str | None = None,
) -> UpdateOutcome:
    update = AgencyUpdate(
        update_id=f"kartabl-{uuid.uuid4()}",
        referral_reference=referral.reference,
        status=status,
        result=result,
        note=note,
        occurred_at=utcnow(),
        raw={"kartabl": status, "by": desk.actor},
    )
    return apply_update(session, desk.agreement, update, registry, actor=desk.actor)


def _event(
    session: Session,
    desk: Desk,
    referral: Referral,
    action: str,
    applied: UpdateOutcome,
    **data: Any,
) -> None:
    record(
        session,
        EventKind.KARTABL_ACTION,
        request_id=referral.request_id,
        referral_id=referral.id,
        actor=desk.actor,
        action=action,
        update=str(applied),
        **{key: value for key, value in data.items() if value},
    )
