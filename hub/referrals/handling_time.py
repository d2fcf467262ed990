"""Handling times, stamped when a referral moves: the figures read them, never recompute them.

When a referral first shows that the agency saw it (viewed, or any later progress), first acted
on it (in progress, forwarded or resolved) and first resolved it, the working time since it was
delivered is stored on the referral (``view_working_seconds``, ``act_working_seconds``,
``resolve_working_seconds``), measured on the agreement's business calendar. Working time needs
the calendar's day tables, which live in Python; doing it once per transition keeps every figure
a plain SQL aggregate (medians and percentiles included) over a year of referrals.

An agency that jumps straight from delivered to resolved has viewed and acted on it too: the
earlier measures are filled with the same moment, so no stage is left blank by a skipped state.
"""

from __future__ import annotations

import functools
import logging
from datetime import datetime
from typing import Any

from hub.calendars.business_calendar import BusinessCalendar, CalendarCache
from hub.core.errors import HubError
from hub.core.settings import get_settings
from hub.core.states import ReferralState
from hub.db.models import Referral

log = logging.getLogger(__name__)
S = ReferralState

_SEEN = frozenset({S.VIEWED, S.IN_PROGRESS, S.FORWARDED, S.RESOLVED})
_ACTED = frozenset({S.IN_PROGRESS, S.FORWARDED, S.RESOLVED})


@functools.cache
def _calendars() -> CalendarCache:
    return CalendarCache(get_settings().config_dir)


def _calendar_of(agreement_id: str) -> BusinessCalendar | None:
    from hub.agreements.registry import get_registry  # the registry imports the lifecycle

    try:
        agreement = get_registry().get(agreement_id)
        name = agreement.document.get("deadlines", {}).get("calendar", "iran")
        return _calendars().get(name)
    except HubError as exc:
        log.warning("no calendar for %s (%s): handling times in wall-clock time", agreement_id, exc)
        return None


def _working_seconds(calendar: BusinessCalendar | None, start: datetime, end: datetime) -> int:
    if end <= start:
        return 0
    if calendar is None:
        return int((end - start).total_seconds())
    return int(calendar.working_time_between(start, end).total_seconds())


def handling_stamps(referral: Referral, to_state: ReferralState, now: datetime) -> dict[str, Any]:
    """Columns to set on ``referral`` as it moves to ``to_state`` at ``now`` (maybe none)."""
    wanted = []
    if to_state in _SEEN and referral.view_working_seconds is None:
        wanted.append("view_working_seconds")
    if to_state in _ACTED and referral.act_working_seconds is None:
        wanted.append("act_working_seconds")
    if to_state is S.RESOLVED and referral.resolve_working_seconds is None:
        wanted.append("resolve_working_seconds")
    if not wanted:
        return {}
    start = referral.delivered_at or referral.created_at
    seconds = _working_seconds(_calendar_of(referral.agreement_id), start, now)
    stamps: dict[str, Any] = dict.fromkeys(wanted, seconds)
    if "act_working_seconds" in stamps and referral.acted_at is None:
        stamps["acted_at"] = now
    return stamps
