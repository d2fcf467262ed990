"""A small set of referrals with known times, inserted directly, whose figures are worked by hand.

Everything is in the Jalali year 1399 (no other test writes there), for two agencies the registry
does not know (``figures-east``, ``figures-west``) and one referral of ``golestan-water``.

figures-east, Mehr 1399 (1399-07), deadlines view +1 day, act +3 days, result +10 days:

====  =======  ============================  ==============  ============  =============
ref   created  what happened                 view (working)  act           result
====  =======  ============================  ==============  ============  =============
e1    07-05    viewed, acted, resolved       1 h, on time    on time       10 h, on time
e2    07-06    viewed late, resolved late    2 h, late       on time       20 h, late
e3    07-08    viewed, acted, never resolved 3 h, on time    on time       — (overdue)
e4    07-20    delivery failed               —               —             —
====  =======  ============================  ==============  ============  =============

so received 4, delivered 3, resolved 2, failures 1; viewed on time 2/3, acted 3/3, resolved
1/3 (e3 is past due); view median (nearest rank) 2 h and p90 3 h; resolve median 10 h, p90 20 h;
violations 2 (recorded 07-12 and 07-16); feedback 4 and 2 with e2 reopened: satisfaction 3.0,
reopen rate 1/2. Overdue now: e3. Aban (08-03): e5, resolved on time in 5 h (view 30 min).
figures-west: w1, w2 on 07-10 both resolved on time (view 1 h, resolve 4 h and 6 h); w0 on
01-15 resolved on time (view 2 h, resolve 8 h). golestan-water: g1 on 07-02, resolved (12 h).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta
from typing import Any

import jdatetime
from sqlalchemy.orm import Session

from hub.calendars.jalali import TEHRAN
from hub.db.models import Referral, Request
from hub.db.models_deadlines import Feedback, Violation

HOUR = 3600
EAST, WEST, WATER = "figures-east", "figures-west", "golestan-water"


def tehran(month: int, day: int, hour: int = 9) -> datetime:
    """A moment of the year 1399 in Tehran time (summer time then in months 1–6), as UTC."""
    day_ = jdatetime.date(1399, month, day).togregorian()
    return datetime.combine(day_, time(hour), tzinfo=TEHRAN).astimezone(UTC)


def stored_request(session: Session, at: datetime) -> Request:
    """A bare request row received at ``at`` (figures read only its referrals); its document has
    what the API's lists show, since tests that run later list requests of golestan-water."""
    request = Request(
        tracking_code="F" + str(secrets.randbelow(10**14)).zfill(14),
        status="referred",
        channel="phone_111",
        type="complaint",
        category="water.outage",
        county="گرگان",
        citizen_national_id="0012345679",
        citizen_mobile="09121234567",
        text_fingerprint="",
        document={"subject": "قطعی آب", "category": "water.outage"},
        original={},
        received_at=at,
        created_at=at,
    )
    session.add(request)
    session.flush()
    return request


def referral(
    session: Session,
    agency: str,
    created: datetime,
    *,
    state: str = "resolved",
    viewed_after: float | None = 1,
    acted_after: float | None = 2,
    resolved_after: float | None = 10,
    view_late: bool = False,
    result_late: bool = False,
    deadlines: bool = True,
    view_hours: float | None = None,
    resolve_hours: float | None = None,
) -> Referral:
    """One referral; times are hours after ``created``; working hours default to the same."""
    request = stored_request(session, created)

    def after(hours: float | None) -> datetime | None:
        return None if hours is None else created + timedelta(hours=hours)

    view_due = created + timedelta(days=1)
    result_due = created + timedelta(days=10)
    token = secrets.token_hex(6)
    row = Referral(
        request_id=request.id,
        agreement_id=agency,
        agreement_version="v1",
        reference=f"F-{token}",
        idempotency_key=f"figures-{token}",
        state=state,
        created_at=created,
        delivered_at=None if state == "delivery_failed" else created,
        view_due_at=view_due if deadlines else None,
        act_due_at=created + timedelta(days=3) if deadlines else None,
        result_due_at=result_due if deadlines else None,
        viewed_at=view_due + timedelta(hours=1) if view_late else after(viewed_after),
        acted_at=after(acted_after),
        resolved_at=result_due + timedelta(hours=1) if result_late else after(resolved_after),
    )
    if viewed_after is not None:
        row.view_working_seconds = int((view_hours or viewed_after) * HOUR)
        row.act_working_seconds = int((acted_after or viewed_after) * HOUR)
    if resolved_after is not None:
        row.resolve_working_seconds = int((resolve_hours or resolved_after) * HOUR)
    session.add(row)
    session.flush()
    return row


def seed(session: Session) -> dict[str, Any]:
    """Insert the set described above; the referrals by name."""
    r: dict[str, Referral] = {}
    r["e1"] = referral(session, EAST, tehran(7, 5), resolved_after=10)
    r["e2"] = referral(
        session,
        EAST,
        tehran(7, 6),
        view_late=True,
        result_late=True,
        view_hours=2,
        resolve_hours=20,
    )
    r["e3"] = referral(session, EAST, tehran(7, 8), state="in_progress", resolved_after=None)
    r["e3"].view_working_seconds = 3 * HOUR
    r["e4"] = referral(
        session,
        EAST,
        tehran(7, 20),
        state="delivery_failed",
        viewed_after=None,
        acted_after=None,
        resolved_after=None,
        deadlines=False,
    )
    r["e5"] = referral(
        session, EAST, tehran(8, 3), viewed_after=0.5, acted_after=1, resolved_after=5
    )
    r["w1"] = referral(session, WEST, tehran(7, 10), resolved_after=4)
    r["w2"] = referral(session, WEST, tehran(7, 10, 11), resolved_after=6)
    r["w0"] = referral(
        session, WEST, tehran(1, 15), viewed_after=2, acted_after=3, resolved_after=8
    )
    r["g1"] = referral(session, WATER, tehran(7, 2), resolved_after=12)
    for name, day in (("e2", 12), ("e3", 16)):
        session.add(
            Violation(
                agreement_id=EAST,
                referral_id=r[name].id,
                deadline="result",
                due_at=r[name].result_due_at,
                recorded_at=tehran(7, day),
            )
        )
    for name, rating, reopened in (("e1", 4, False), ("e2", 2, True)):
        session.add(
            Feedback(
                request_id=r[name].request_id,
                referral_id=r[name].id,
                agreement_id=EAST,
                rating=rating,
                reopened=reopened,
                result_at=r[name].resolved_at,
                created_at=tehran(7, 25),
            )
        )
    session.flush()
    return r
