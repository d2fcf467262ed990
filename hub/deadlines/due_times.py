"""Deadlines of a referral in working time: when each is due, and when the ladder fires next.

An agreement gives three deadlines — ``view``, ``act`` and ``result`` — each in working hours or
working days of a named business calendar, with overrides per request type, and an escalation
ladder (rungs such as "at 80 % of the result deadline, remind the agency"). They start when the
referral is created, and again when the citizen reopens it.

A rung fires at ``start + at_percent % of the working time allowed`` (at 100 %: the due time
itself); a rung with ``repeat_every`` fires again that much working time after each firing, for
as long as its deadline is still missed. A deadline is met once the referral reached its state:
``view`` when viewed (or further), ``act`` when in progress (or further), ``result`` when
resolved. The referral keeps its three due times and ``next_deadline_at`` — the earliest firing
still to come — so the sweep finds what is due from an index, whatever number is open.

Working days may be fractional: whole days are added as working days, the rest as that share of
a seven-hour working day (07:30–14:30).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from hub.agreements.model import Agreement
from hub.calendars.business_calendar import BusinessCalendar, CalendarCache
from hub.core.settings import get_settings
from hub.core.states import ReferralState
from hub.db.models import Referral

S = ReferralState
DEADLINES = ("view", "act", "result")
WORKING_DAY_HOURS = 7.0
_BEGINNING = datetime(1970, 1, 1, tzinfo=UTC)
MAX_ROUNDS = 500  # a repeating rung stops after this many firings, however late it still is

# The states in which each deadline counts as met.
_MET = {
    "view": frozenset({S.VIEWED, S.IN_PROGRESS, S.FORWARDED, S.RESOLVED, S.CLOSED}),
    "act": frozenset({S.IN_PROGRESS, S.FORWARDED, S.RESOLVED, S.CLOSED}),
    "result": frozenset({S.RESOLVED, S.CLOSED}),
}
# States in which the agency is not (or no longer) on the clock at all.
STOPPED = frozenset({S.RETURNED, S.REROUTED, S.DELIVERY_FAILED, S.CLOSED, S.RESOLVED})


@dataclass(frozen=True)
class Duration:
    working_hours: float | None = None
    working_days: float | None = None

    @classmethod
    def parse(cls, block: dict[str, Any]) -> Duration:
        return cls(block.get("working_hours"), block.get("working_days"))

    def after(self, calendar: BusinessCalendar, moment: datetime) -> datetime:
        if self.working_hours is not None:
            return calendar.add_working_hours(moment, self.working_hours)
        days = float(self.working_days or 0)
        whole, part = int(days), days - int(days)
        if whole:
            moment = calendar.add_working_days(moment, whole)
        if part > 1e-9:
            moment = calendar.add_working_hours(moment, part * WORKING_DAY_HOURS)
        return moment


class EscalationAction(StrEnum):
    """What a rung of the ladder does (``escalation[].action`` in schemas/agreement.schema.json)."""

    REMIND_AGENCY = "remind_agency"  # on the agency's own system, or by e-mail to its contacts
    NOTIFY_SUPERVISOR = "notify_supervisor"  # the agency's supervisor, by e-mail
    RECORD_VIOLATION = "record_violation"  # a violation, for the figures and the inspection
    NOTIFY_INSPECTION = "notify_inspection"  # the inspection office, by e-mail


@dataclass(frozen=True)
class Rung:
    index: int
    deadline: str
    at_percent: int
    action: EscalationAction
    repeat_every: Duration | None


@dataclass(frozen=True)
class DeadlinePolicy:
    calendar: str
    durations: dict[str, Duration]
    ladder: tuple[Rung, ...]

    @classmethod
    def of(cls, agreement: Agreement, request_type: str) -> DeadlinePolicy:
        return _policy(agreement.id, agreement.version, request_type, agreement)


@functools.lru_cache(maxsize=512)
def _policy(_id: str, _version: str, request_type: str, agreement: Agreement) -> DeadlinePolicy:
    block = agreement.document.get("deadlines") or {}
    chosen = {name: block[name] for name in DEADLINES if name in block}
    chosen.update((block.get("by_type") or {}).get(request_type) or {})
    ladder = tuple(
        Rung(
            index=i,
            deadline=rung["deadline"],
            at_percent=int(rung.get("at_percent", 100)),
            action=EscalationAction(rung["action"]),
            repeat_every=Duration.parse(rung["repeat_every"]) if "repeat_every" in rung else None,
        )
        for i, rung in enumerate(agreement.document.get("escalation") or [])
    )
    return DeadlinePolicy(
        calendar=block.get("calendar", "iran"),
        durations={name: Duration.parse(value) for name, value in chosen.items()},
        ladder=tuple(r for r in ladder if r.deadline in chosen),
    )


@functools.cache
def calendars() -> CalendarCache:
    """This process's calendars (reloaded when their files change)."""
    return CalendarCache(get_settings().config_dir)


def due_times(
    policy: DeadlinePolicy, calendar: BusinessCalendar, start: datetime
) -> dict[str, datetime]:
    return {name: d.after(calendar, start) for name, d in policy.durations.items()}


def is_met(state: str, deadline: str) -> bool:
    return ReferralState(state) in _MET[deadline]


def due_of(referral: Referral, deadline: str) -> datetime | None:
    return getattr(referral, f"{deadline}_due_at")


def start_deadlines(
    referral: Referral, agreement: Agreement, request_type: str, start: datetime
) -> None:
    """Set the referral's due times from ``start`` and its first ladder firing."""
    policy = DeadlinePolicy.of(agreement, request_type)
    calendar = calendars().get(policy.calendar)
    due = due_times(policy, calendar, start)
    referral.deadlines_started_at = start
    for name in DEADLINES:
        setattr(referral, f"{name}_due_at", due.get(name))
    referral.next_deadline_at = next_firing(referral, policy, calendar, set(), after=None)


def first_fire(rung: Rung, calendar: BusinessCalendar, start: datetime, due: datetime) -> datetime:
    if rung.at_percent == 100 or due <= start:
        return due
    allowed = calendar.working_time_between(start, due)
    return calendar.add_working_hours(start, allowed * (rung.at_percent / 100))


def step_key(rung: Rung, round_: int, due: datetime) -> str:
    return f"{rung.deadline}:{rung.index}:r{round_}@{due.isoformat()}"


@dataclass(frozen=True)
class Firing:
    """One rung due now: which round, when it should have fired, its idempotency key."""

    rung: Rung
    round: int
    fire_at: datetime
    due_at: datetime
    key: str


def rung_firings(
    referral: Referral, rung: Rung, calendar: BusinessCalendar, now: datetime
) -> tuple[Firing | None, datetime | None]:
    """(the latest firing of ``rung`` at or before ``now``, the next one after ``now``).

    Rounds missed while no sweep ran (an outage) are not replayed: only the latest is taken.
    """
    due = due_of(referral, rung.deadline)
    start = referral.deadlines_started_at
    if due is None or start is None or is_met(referral.state, rung.deadline):
        return None, None
    fire = first_fire(rung, calendar, start, due)
    if fire > now:
        return None, fire
    round_ = 0
    if rung.repeat_every is not None:
        while round_ < MAX_ROUNDS:
            following = rung.repeat_every.after(calendar, fire)
            if following <= fire:  # a zero repeat would loop forever
                break
            if following > now:
                current = Firing(rung, round_, fire, due, step_key(rung, round_, due))
                return current, following
            fire, round_ = following, round_ + 1
    return Firing(rung, round_, fire, due, step_key(rung, round_, due)), None


def next_firing(
    referral: Referral,
    policy: DeadlinePolicy,
    calendar: BusinessCalendar,
    taken: set[str],
    after: datetime | None,
) -> datetime | None:
    """The earliest firing still to take: a due one not yet taken, or the next to come."""
    if ReferralState(referral.state) in STOPPED:
        return None
    now = after or _BEGINNING
    candidates = []
    for rung in policy.ladder:
        current, following = rung_firings(referral, rung, calendar, now)
        if current is not None and current.key not in taken:
            candidates.append(current.fire_at)
        if following is not None:
            candidates.append(following)
    return min(candidates, default=None)


def plan(
    referral: Referral,
    policy: DeadlinePolicy,
    calendar: BusinessCalendar,
    taken: set[str],
    now: datetime,
) -> tuple[list[Firing], datetime | None]:
    """(firings due at ``now`` not taken yet, the next firing after ``now``) for one referral."""
    if ReferralState(referral.state) in STOPPED:
        return [], None
    due_now, upcoming = [], []
    for rung in policy.ladder:
        current, following = rung_firings(referral, rung, calendar, now)
        if current is not None and current.key not in taken:
            due_now.append(current)
        if following is not None:
            upcoming.append(following)
    return due_now, min(upcoming, default=None)


def late_by(calendar: BusinessCalendar, due: datetime, now: datetime) -> timedelta:
    """Working time past ``due`` (zero when not late)."""
    return max(calendar.working_time_between(due, now), timedelta(0))
