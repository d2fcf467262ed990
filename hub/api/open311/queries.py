"""``GET requests``: the spec's filters, and its default window of the latest 90 days.

``service_request_id`` (comma separated) overrides every other filter. Otherwise requests are
chosen by ``requested_datetime`` between ``start_date`` and ``end_date`` — both absent: the 90
days up to now; one absent: 90 days from the other — a range that may not span more than 90
days, then by ``service_code`` and ``status`` (each comma separated), newest first, at most 1000.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.api.deps import EARLIEST, LATEST
from hub.api.open311.errors import bad_request
from hub.api.open311.views import CLOSED, OPEN
from hub.db.models import Referral, Request
from hub.db.types import utcnow
from hub.intake.tracking import normalize_tracking_code

WINDOW = timedelta(days=90)
LIMIT = 1000


@dataclass(frozen=True)
class Found:
    request: Request
    referrals: list[Referral]


def _items(text: str | None, name: str = "") -> list[str]:
    items = [item.strip() for item in (text or "").split(",") if item.strip()]
    if len(items) > LIMIT:  # and the database takes a bounded number of parameters
        raise bad_request(f"{name}: at most {LIMIT} values, comma separated")
    return items


def parse_moment(text: str | None, name: str) -> datetime | None:
    """A w3c date-time (UTC where no offset is given), or a 400 naming the parameter."""
    if text is None or not text.strip():
        return None
    try:
        value = datetime.fromisoformat(text.strip())
        value = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        value = None
    if value is None or not EARLIEST <= value < LATEST:
        raise bad_request(
            f"{name}: {text[:40]!r} is not a date-time from 2000 to 2100 in w3 format, "
            "e.g. 2026-01-01T00:00:00Z"
        )
    return value


def window(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    if start is None and end is None:
        end = utcnow()
    if start is None:
        assert end is not None
        return end - WINDOW, end
    if end is None:
        return start, start + WINDOW
    if end < start:
        raise bad_request("start_date is after end_date")
    if end - start > WINDOW:
        raise bad_request("start_date to end_date may not span more than 90 days")
    return start, end


def _statuses(text: str | None) -> set[str]:
    chosen = set(_items(text))
    if chosen - {"open", "closed"}:
        raise bad_request("status: give open, closed or both, comma separated")
    wanted: set[str] = set()
    if "open" in chosen:
        wanted |= {str(s) for s in OPEN}
    if "closed" in chosen:
        wanted |= {str(s) for s in CLOSED}
    return wanted


def _codes(text: str | None) -> list[str]:
    codes = []
    for item in _items(text):
        try:
            codes.append(normalize_tracking_code(item))
        except ValueError:
            continue  # not a tracking code: no such request, as for one never filed
    return codes


def find_requests(
    session: Session,
    *,
    ids: str | None,
    service_code: str | None,
    status: str | None,
    start_date: str | None,
    end_date: str | None,
) -> list[Found]:
    query = select(Request)
    if _items(ids, "service_request_id"):
        query = query.where(Request.tracking_code.in_(_codes(ids)))
    else:
        start, end = window(
            parse_moment(start_date, "start_date"), parse_moment(end_date, "end_date")
        )
        query = query.where(Request.received_at >= start, Request.received_at <= end)
        if codes := _items(service_code, "service_code"):
            query = query.where(Request.category.in_(codes))
        if _items(status):
            query = query.where(Request.status.in_(_statuses(status)))
    requests = session.scalars(query.order_by(Request.id.desc()).limit(LIMIT)).all()
    return _with_referrals(session, requests)


def find_request(session: Session, code: str) -> Found | None:
    try:
        tracking_code = normalize_tracking_code(code)
    except ValueError:
        return None
    request = session.scalar(select(Request).where(Request.tracking_code == tracking_code))
    return _with_referrals(session, [request])[0] if request is not None else None


def _with_referrals(session: Session, requests: Sequence[Request]) -> list[Found]:
    referrals = session.scalars(
        select(Referral)
        .where(Referral.request_id.in_([r.id for r in requests]))
        .order_by(Referral.id)
    ).all()
    by_request: dict[int, list[Referral]] = {r.id: [] for r in requests}
    for referral in referrals:
        by_request[referral.request_id].append(referral)
    return [Found(r, by_request[r.id]) for r in requests]
