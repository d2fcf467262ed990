"""The roll-up's figures equal the figures computed straight from the referrals, for any period.

Random referrals (fixed seed) of three agencies the registry does not know, received from Bahman
1397 to Ordibehesht 1398 — across a year's end and Iran's summer-time change of 1398-01-02, with
some received exactly at, and a second before, a Tehran midnight. No other test writes there.
Each period is asked through :func:`hub.supervision.figures.figures` and
:func:`hub.supervision.figures.trend` (which read the roll-up by day and by month) and worked out
here row by row from the tables, with nothing of the hub's own arithmetic: each period's bounds
are Tehran midnights written below as UTC literals (:data:`BOUNDS`), and percentiles are exact
nearest ranks of the raw working seconds. Every count must be equal; a percentile must be within
the precision the roll-up promises (``hub/supervision/figures/histogram.py``: 1 %, or 30 seconds
under a minute, then rounded to 0.01 h).
"""

from __future__ import annotations

import random
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any, NamedTuple

import jdatetime
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hub.calendars.jalali import TEHRAN
from hub.core.settings import get_settings
from hub.core.states import POLLED, ReferralState
from hub.db.migrate import upgrade
from hub.db.models import Referral
from hub.db.models_deadlines import Feedback, Violation
from hub.db.models_figures import FigureDay
from hub.db.session import get_engine, session_scope
from hub.db.types import utcnow
from hub.supervision.figures import Figures, Period, current_month, figures, parse_period, trend
from hub.supervision.figures.rollup import refresh
from tests.supervision.known_data import stored_request

AGENCIES = ("figures-r1", "figures-r2", "figures-r3")
# Read as "Farvardin less the days left out" by ranges such as 1398-01-05..1398-02-20: r4 has
# two referrals worked on 1398-01-03 and one that failed on 1398-01-25, r5 only the first two.
SPARSE = ("figures-r4", "figures-r5")
NOW = datetime(2019, 6, 20, 12, tzinfo=UTC)  # 1398-03-30: every deadline below is decided or not
FIRST_DAY = jdatetime.date(1397, 11, 1).togregorian()
DAYS = (jdatetime.date(1398, 3, 1).togregorian() - FIRST_DAY).days  # Bahman 1397 to Ordibehesht
OPEN = {str(s) for s in (*POLLED, ReferralState.PENDING, ReferralState.DELIVERING)}
PERIODS = [
    "1398-01-05..1398-02-20",  # cuts two months
    "1397-12-15..1398-01-10",  # cuts two months across the year's end
    "1398-01-10..1398-01-20",  # inside one month
    "1398-01-02..1398-01-02",  # one day: 23 hours, summer time began that night
    "1397-12-29..1397-12-29",  # one day: the last of the year
    "1397-11-20..1398-11-19",  # a year, cutting a month at each end
    "2019-03-21..2019-04-04",  # Gregorian days
    "1398-01",  # whole months, for comparison
    "1397",
]


class Bounds(NamedTuple):
    """A period as the supervising office means it: its label, [start, end) in UTC."""

    label: str
    start: datetime
    end: datetime


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Every period these tests ask about, worked out by hand: Jalali day → Gregorian day (Nowruz 1397
# and 1398 fell on 2018-03-21 and 2019-03-21, Nowruz 1399 on 2020-03-20; months 1–6 have 31 days,
# 7–11 have 30, Esfand 1397 29), then Tehran midnight → UTC: +03:30, but +04:30 from 2 Farvardin
# to 30 Shahrivar (Iran's summer time until 2022, which began at midnight: 1398-01-02 is the
# 23-hour day 2019-03-21T20:30Z – 2019-03-22T19:30Z). Both ends of a range are included.
BOUNDS = {
    text: Bounds(text, _utc(start), _utc(end))
    for text, start, end in [
        ("1398-01-05..1398-02-20", "2019-03-24T19:30", "2019-05-10T19:30"),
        ("1397-12-15..1398-01-10", "2019-03-05T20:30", "2019-03-30T19:30"),
        ("1398-01-10..1398-01-20", "2019-03-29T19:30", "2019-04-09T19:30"),
        ("1398-01-02..1398-01-02", "2019-03-21T20:30", "2019-03-22T19:30"),
        ("1397-12-29..1397-12-29", "2019-03-19T20:30", "2019-03-20T20:30"),
        ("1397-11-20..1398-11-19", "2019-02-08T20:30", "2020-02-08T20:30"),
        ("2019-03-21..2019-04-04", "2019-03-20T20:30", "2019-04-04T19:30"),
        ("1398-01", "2019-03-20T20:30", "2019-04-20T19:30"),
        ("1397", "2018-03-20T20:30", "2019-03-20T20:30"),
        ("1398-02", "2019-04-20T19:30", "2019-05-21T19:30"),
        ("1398-Q1", "2019-03-20T20:30", "2019-06-21T19:30"),
        ("1398", "2019-03-20T20:30", "2020-03-19T20:30"),
        ("1397-12-20..1398-02-31", "2019-03-10T20:30", "2019-05-21T19:30"),
        ("1398-02-15..1398-02-15", "2019-05-04T19:30", "2019-05-05T19:30"),
        ("1398-01-25..1398-02-10", "2019-04-13T19:30", "2019-04-30T19:30"),
    ]
}
TREND = "1397-12-15..1398-02-05"
# The Jalali months TREND touches, each cut to it.
TREND_MONTHS = [
    Bounds("1397-12", _utc("2019-03-05T20:30"), _utc("2019-03-20T20:30")),
    Bounds("1398-01", _utc("2019-03-20T20:30"), _utc("2019-04-20T19:30")),
    Bounds("1398-02", _utc("2019-04-20T19:30"), _utc("2019-04-25T19:30")),
]


def _tehran_midnight(day_offset: int) -> datetime:
    day = FIRST_DAY + timedelta(days=day_offset)
    return datetime.combine(day, time(0), tzinfo=TEHRAN).astimezone(UTC)


def _referral(session: Session, rng: random.Random, created: datetime) -> Referral:
    """A referral received at ``created``; what happened to it drawn at random."""
    request = stored_request(session, created)
    hours = lambda low, high: timedelta(hours=rng.uniform(low, high))  # noqa: E731
    failed = rng.random() < 0.05
    viewed = None if failed or rng.random() < 0.15 else created + hours(0, 40)
    acted = None if viewed is None or rng.random() < 0.2 else viewed + hours(0, 60)
    resolved = None if acted is None or rng.random() < 0.25 else acted + hours(0, 300)
    state = "delivery_failed" if failed else "resolved" if resolved else "in_progress"
    token = secrets.token_hex(6)
    deadlines = rng.random() > 0.05
    row = Referral(
        request_id=request.id,
        agreement_id=rng.choice(AGENCIES),
        agreement_version="v1",
        reference=f"R-{token}",
        idempotency_key=f"figures-rollup-{token}",
        state=state,
        created_at=created,
        delivered_at=None if failed else created,
        view_due_at=created + timedelta(days=1) if deadlines else None,
        act_due_at=created + timedelta(days=3) if deadlines else None,
        result_due_at=created + timedelta(days=10) if deadlines else None,
        viewed_at=viewed,
        acted_at=acted,
        resolved_at=resolved,
    )
    if viewed is not None:
        row.view_working_seconds = rng.choice([0, 20, rng.randrange(60, 200_000)])
    if resolved is not None:
        row.resolve_working_seconds = rng.randrange(30, 2_000_000)
    session.add(row)
    session.flush()
    if resolved is not None and rng.random() < 0.4:
        session.add(
            Feedback(
                request_id=request.id,
                referral_id=row.id,
                agreement_id=row.agreement_id,
                rating=rng.choice([None, 1, 2, 3, 4, 5]),
                reopened=rng.random() < 0.2,
                result_at=resolved,
                created_at=resolved + hours(1, 100),
            )
        )
    if deadlines and (resolved is None or resolved > row.result_due_at):
        session.add(
            Violation(
                agreement_id=row.agreement_id,
                referral_id=row.id,
                deadline="result",
                due_at=row.result_due_at,
                recorded_at=row.result_due_at + hours(0, 2),
            )
        )
    return row


def _add_referrals(session: Session, rng: random.Random, count: int) -> None:
    for _ in range(count):
        midnight = _tehran_midnight(rng.randrange(DAYS))
        created = rng.choice(
            [
                midnight,  # the first instant of a day
                midnight - timedelta(seconds=1),  # the last second of the day before
                midnight + timedelta(seconds=rng.randrange(86_400)),
            ]
        )
        if created >= _tehran_midnight(0):
            _referral(session, rng, created)
    session.flush()


def _add_sparse_referrals(session: Session) -> None:
    for agency in SPARSE:
        for hour in (9, 10):
            _plain(session, agency, _on(1398, 1, 3, hour), worked=True)
    _plain(session, SPARSE[0], _on(1398, 1, 25, 9), worked=False)
    session.flush()


def _plain(session: Session, agency: str, created: datetime, worked: bool) -> None:
    """Viewed in an hour, resolved in five, on time; or, not ``worked``, never delivered."""
    token = secrets.token_hex(6)
    hour = timedelta(hours=1)
    session.add(
        Referral(
            request_id=stored_request(session, created).id,
            agreement_id=agency,
            agreement_version="v1",
            reference=f"R-{token}",
            idempotency_key=f"figures-rollup-{token}",
            state="resolved" if worked else "delivery_failed",
            created_at=created,
            delivered_at=created if worked else None,
            viewed_at=created + hour if worked else None,
            acted_at=created + 2 * hour if worked else None,
            resolved_at=created + 5 * hour if worked else None,
            view_working_seconds=3600 if worked else None,
            resolve_working_seconds=5 * 3600 if worked else None,
        )
    )


def _on(year: int, month: int, day: int, hour: int) -> datetime:
    day_ = jdatetime.date(year, month, day).togregorian()
    return datetime.combine(day_, time(hour), tzinfo=TEHRAN).astimezone(UTC)


@pytest.fixture(scope="module")
def rng(database: str) -> random.Random:
    rng = random.Random(1398)
    with session_scope() as session:
        _add_referrals(session, rng, 900)
        _add_sparse_referrals(session)
    return rng


# --- the figures, worked out row by row --------------------------------------------------------


def _pct(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _nearest_rank(seconds: list[int], percent: int) -> int | None:
    """The exact nearest-rank percentile: the smallest value at least ``percent`` % of the values
    are at or below — the ``ceil(percent · n / 100)``-th smallest (integers: no float rounding)."""
    if not seconds:
        return None
    rank = -(-percent * len(seconds) // 100)
    return sorted(seconds)[rank - 1]


PERCENTILES = ("view_median_hours", "view_p90_hours", "resolve_median_hours", "resolve_p90_hours")


@dataclass(frozen=True)
class Worked:
    """One row worked out from the tables: every count, and the percentiles exact in seconds."""

    counts: dict[str, Any]  # the fields of Figures but the percentiles
    seconds: dict[str, int | None]  # each percentile of PERCENTILES, exact


def _close_enough(hours: float | None, exact_seconds: int | None) -> bool:
    """Within the roll-up's promise: 1 % (30 s under a minute), then rounded to 0.01 h."""
    if exact_seconds is None or hours is None:
        return hours is None and exact_seconds is None
    exact = exact_seconds / 3600
    precision = 30 / 3600 if exact_seconds < 60 else 0.01 * exact
    return abs(hours - exact) <= precision + 0.005 + 1e-9


def _assert_matches(row: Figures, worked: Worked, context: object) -> None:
    reported = asdict(row)
    for name in PERCENTILES:
        hours, exact = reported.pop(name), worked.seconds[name]
        assert _close_enough(hours, exact), f"{context} {name}: {hours} h, exactly {exact} s"
    assert reported == worked.counts, context


def _deadline(done: Any, due: Any, unresolved: bool, now: datetime) -> tuple[int, int]:
    """(met, decided) of one referral's deadline: done by its time, or unmet past it."""
    if due is None:
        return 0, 0
    if done is not None:
        return int(done <= due), 1
    return 0, int(unresolved and due < now)


def _worked(session: Session, period: Bounds, agency: str | None, now: datetime = NOW) -> Worked:
    def where(column: Any, table: Any) -> list[Any]:
        found = [column >= period.start, column < period.end]
        return found + ([table.agreement_id == agency] if agency else [])

    refs = session.scalars(select(Referral).where(*where(Referral.created_at, Referral))).all()
    met = {name: [0, 0] for name in ("view", "act", "result")}
    for r in refs:
        seen = r.viewed_at or r.acted_at or r.resolved_at
        for name, done, due in (
            ("view", seen, r.view_due_at),
            ("act", r.acted_at or r.resolved_at, r.act_due_at),
            ("result", r.resolved_at, r.result_due_at),
        ):
            on_time, decided = _deadline(done, due, r.resolved_at is None, now)
            met[name][0] += on_time
            met[name][1] += decided
    view = [r.view_working_seconds for r in refs if r.view_working_seconds is not None]
    resolve = [r.resolve_working_seconds for r in refs if r.resolve_working_seconds is not None]
    resolved = sum(r.resolved_at is not None for r in refs)
    violations = session.scalar(
        select(func.count()).select_from(Violation).where(*where(Violation.recorded_at, Violation))
    )
    feedback = session.scalars(select(Feedback).where(*where(Feedback.created_at, Feedback))).all()
    ratings = [f.rating for f in feedback if f.rating is not None]
    counts = Figures(
        period=period.label,
        agreement_id=agency,
        received=len(refs),
        delivered=sum(r.delivered_at is not None for r in refs),
        resolved=resolved,
        viewed_on_time_pct=_pct(*met["view"]),
        acted_on_time_pct=_pct(*met["act"]),
        resolved_on_time_pct=_pct(*met["result"]),
        overdue_now=_overdue(session, agency, now),
        violations=violations or 0,
        delivery_failures=sum(r.state == "delivery_failed" for r in refs),
        satisfaction_avg=round(sum(ratings) / len(ratings), 2) if ratings else None,
        ratings=len(ratings),
        reopen_rate_pct=_pct(sum(f.reopened for f in feedback), resolved),
    )
    seconds = {
        "view_median_hours": _nearest_rank(view, 50),
        "view_p90_hours": _nearest_rank(view, 90),
        "resolve_median_hours": _nearest_rank(resolve, 50),
        "resolve_p90_hours": _nearest_rank(resolve, 90),
    }
    return Worked({k: v for k, v in asdict(counts).items() if k not in PERCENTILES}, seconds)


def _overdue(session: Session, agency: str | None, now: datetime) -> int:
    refs = session.scalars(
        select(Referral).where(
            Referral.resolved_at.is_(None),
            Referral.state.in_(OPEN),
            *([Referral.agreement_id == agency] if agency else []),
        )
    ).all()
    return sum(
        (r.viewed_at is None and r.acted_at is None and _before(r.view_due_at, now))
        or (r.acted_at is None and _before(r.act_due_at, now))
        or _before(r.result_due_at, now)
        for r in refs
    )


def _before(due: datetime | None, now: datetime) -> bool:
    return due is not None and due < now


def _assert_board_is_worked_out(
    period_text: str, also: tuple[str, ...] = (), url: str | None = None, now: datetime = NOW
) -> None:
    agencies = [*AGENCIES, *SPARSE, *also]
    with session_scope(url) as session:
        board = figures(session, parse_period(period_text), agreement_ids=agencies, now=now)
    with session_scope(url) as session:
        for agency in agencies:
            row = next(a for a in board.agencies if a.agreement_id == agency)
            worked = _worked(session, BOUNDS[period_text], agency, now)
            _assert_matches(row, worked, (period_text, agency))
        province = _worked(session, BOUNDS[period_text], None, now)
        _assert_matches(board.province, province, (period_text, "province"))


def _assert_trend_is_worked_out(
    agency: str | None, url: str | None = None, now: datetime = NOW
) -> None:
    """The trend over :data:`TREND`, month by month."""
    with session_scope(url) as session:
        months = trend(session, parse_period(TREND), agency, now=now)
    assert [month.period for month in months] == [cut.label for cut in TREND_MONTHS]
    with session_scope(url) as session:
        for month, cut in zip(months, TREND_MONTHS, strict=True):
            worked = _worked(session, cut, agency, now)
            _assert_matches(month, Worked(worked.counts | {"overdue_now": 0}, worked.seconds), cut)


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", list(BOUNDS))
def test_the_hub_reads_each_period_as_the_tehran_midnights_worked_out_by_hand(text: str) -> None:
    assert parse_period(text) == Period(*BOUNDS[text])


def test_a_range_is_cut_into_the_jalali_months_worked_out_by_hand() -> None:
    assert parse_period(TREND).months() == [Period(*cut) for cut in TREND_MONTHS]


@pytest.mark.parametrize("period", PERIODS)
def test_figures_of_a_period_equal_the_figures_worked_from_referrals(
    rng: random.Random, period: str
) -> None:
    _assert_board_is_worked_out(period)


@pytest.mark.parametrize("agency", [None, AGENCIES[0]])
def test_a_trend_over_days_that_cut_months_equals_each_cut_worked_from_referrals(
    rng: random.Random, agency: str | None
) -> None:
    _assert_trend_is_worked_out(agency)


@pytest.mark.parametrize("period", ["1398-01", "1398-01-05..1398-02-20", "1397-12-15..1398-01-10"])
def test_figures_asked_while_some_deadlines_are_not_due_yet_equal_those_worked_from_referrals(
    rng: random.Random, period: str
) -> None:
    # 1398-01-12 09:00: the deadlines of the last ten days' referrals are still to come.
    _assert_board_is_worked_out(period, now=_on(1398, 1, 12, 9))


def test_a_trend_asked_while_some_deadlines_are_not_due_yet_equals_each_month_worked_out(
    rng: random.Random,
) -> None:
    _assert_trend_is_worked_out(None, now=_on(1398, 1, 12, 9))
    _assert_trend_is_worked_out(AGENCIES[1], now=_on(1398, 1, 3, 9))


def test_an_agency_whose_referrals_all_fall_on_days_a_range_leaves_out_is_not_listed(
    rng: random.Random,
) -> None:
    with session_scope() as session:
        board = figures(session, parse_period("1398-01-05..1398-02-20"), now=NOW)
    listed = {row.agreement_id: row for row in board.agencies}
    assert SPARSE[1] not in listed
    assert (listed[SPARSE[0]].received, listed[SPARSE[0]].delivery_failures) == (1, 1)
    assert listed[SPARSE[0]].view_median_hours is None


def test_a_range_of_days_is_read_from_the_roll_up_of_days(rng: random.Random) -> None:
    period = parse_period("1398-01-02..1398-01-02")
    with session_scope() as session:
        figures(session, period, now=NOW)
        stored = session.scalar(
            select(func.sum(FigureDay.received)).where(FigureDay.day == "1398-01-02")
        )
    with session_scope() as session:
        assert stored == _worked(session, BOUNDS[period.label], None).counts["received"] > 0


def test_figures_follow_referrals_changed_and_added_after_the_roll_up_was_built(
    rng: random.Random,
) -> None:
    for period in PERIODS:
        with session_scope() as session:
            figures(session, parse_period(period), now=NOW)  # the roll-up is built and current
    with session_scope() as session:
        _add_referrals(session, rng, 150)
        open_ = session.scalars(
            select(Referral).where(
                Referral.agreement_id.in_(AGENCIES),
                Referral.resolved_at.is_(None),
                Referral.state != "delivery_failed",
            )
        ).all()
        for referral in rng.sample(list(open_), 40):
            referral.viewed_at = referral.viewed_at or referral.created_at + timedelta(hours=2)
            referral.acted_at = referral.acted_at or referral.viewed_at
            referral.resolved_at = referral.acted_at + timedelta(hours=5)
            referral.view_working_seconds = referral.view_working_seconds or 7200
            referral.resolve_working_seconds = 18_000
            referral.state = "resolved"
    for period in PERIODS:
        _assert_board_is_worked_out(period)
    _assert_trend_is_worked_out(None)


def test_a_quarter_and_a_year_follow_one_agency_changed_in_one_month_and_another_in_the_next(
    rng: random.Random,
) -> None:
    first, second = "figures-r6", "figures-r7"  # no other test changes them
    with session_scope() as session:
        _plain(session, first, _on(1398, 1, 12, 9), worked=True)
    with session_scope() as session:
        figures(session, parse_period("1398"), now=NOW)  # the year, its quarters and months built
    with session_scope() as session:
        referral = session.scalars(select(Referral).where(Referral.agreement_id == first)).one()
        referral.resolved_at = referral.created_at + timedelta(days=20)  # now late
        referral.resolve_working_seconds = 90 * 3600
        _plain(session, second, _on(1398, 2, 10, 9), worked=True)
    for period in ("1398-Q1", "1398", "1397-12-20..1398-02-31"):
        _assert_board_is_worked_out(period, also=(first, second))


def test_a_refresh_redoes_only_the_day_of_the_one_referral_changed(
    rng: random.Random, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "figures_refresh_lag_seconds", 0.0)
    agency, period = "figures-r8", parse_period("1398-02")  # no other test changes r8
    with session_scope() as session:
        _plain(session, agency, _on(1398, 2, 15, 9), worked=False)
    with session_scope() as session:
        figures(session, period, now=NOW)  # built, and r8's day with it
    with session_scope() as session:
        referral = session.scalars(select(Referral).where(Referral.agreement_id == agency)).one()
        referral.state, referral.delivered_at = "in_progress", referral.created_at
    with session_scope() as session:
        assert refresh(session, period) == 1  # one agency, on one day
    _assert_board_is_worked_out("1398-02", also=(agency,))
    _assert_board_is_worked_out("1398-02-15..1398-02-15", also=(agency,))


def _build_roll_up(periods: tuple[str, ...], trends: tuple[str, ...], agency: str) -> None:
    with session_scope() as session:
        for period in periods:
            figures(session, parse_period(period), now=NOW)
        for period in trends:
            trend(session, parse_period(period), agency, now=NOW)


def _violation_and_feedback(
    session: Session,
    referral: Referral,
    recorded_at: datetime,
    given_at: datetime,
    *,
    rating: int,
    reopened: bool,
    updated_at: datetime | None = None,
) -> None:
    """A violation of the referral's result deadline recorded at ``recorded_at`` (its row last
    changed at ``updated_at``, default now), and the citizen's feedback given at ``given_at``."""
    session.add(
        Violation(
            agreement_id=referral.agreement_id,
            referral_id=referral.id,
            deadline="result",
            due_at=referral.created_at,
            recorded_at=recorded_at,
            **({"updated_at": updated_at} if updated_at else {}),
        )
    )
    session.add(
        Feedback(
            request_id=referral.request_id,
            referral_id=referral.id,
            agreement_id=referral.agreement_id,
            rating=rating,
            reopened=reopened,
            result_at=referral.resolved_at,
            created_at=given_at,
        )
    )


def test_a_violation_and_feedback_written_later_with_their_referral_show_after_the_refresh(
    rng: random.Random,
) -> None:
    agency = "figures-r9"  # no other test writes for r9
    periods, cut = ("1398-02", "1398-01-25..1398-02-10"), TREND
    with session_scope() as session:
        _plain(session, agency, _on(1398, 1, 20, 9), worked=True)
    _build_roll_up(periods, (cut,), agency)
    with session_scope() as session:
        referral = session.scalars(select(Referral).where(Referral.agreement_id == agency)).one()
        _violation_and_feedback(
            session, referral, _on(1398, 2, 3, 10), _on(1398, 1, 28, 10), rating=2, reopened=True
        )
        referral.next_deadline_at = NOW  # the deadline sweep and a reopen move their referral
    for period in periods:
        _assert_board_is_worked_out(period, also=(agency,))
    _assert_trend_is_worked_out(agency)
    with session_scope() as session:
        row = figures(session, parse_period(periods[1]), now=NOW).agencies
    r9 = next(a for a in row if a.agreement_id == agency)
    assert (r9.violations, r9.ratings, r9.satisfaction_avg, r9.reopen_rate_pct) == (1, 1, 2.0, None)


def test_a_violation_and_feedback_the_hub_stamps_now_for_an_old_referral_show_after_the_refresh(
    rng: random.Random,
) -> None:
    agency = "figures-r10"  # no other test writes for r10
    with session_scope() as session:
        _plain(session, agency, _on(1398, 1, 21, 9), worked=True)
        session.flush()
        session.execute(  # last changed long ago: only the new rows' own stamps show them
            update(Referral)
            .where(Referral.agreement_id == agency)
            .values(updated_at=_on(1398, 1, 21, 14))
        )
    today = utcnow().astimezone(TEHRAN).date()
    cut = f"{today - timedelta(days=40)}..{today + timedelta(days=1)}"  # cuts two months
    periods = (current_month(utcnow()).label, cut)
    _build_roll_up(periods, (cut,), agency)
    with session_scope() as session:
        referral = session.scalars(select(Referral).where(Referral.agreement_id == agency)).one()
        at = (
            utcnow()
        )  # what the escalation sweep and hub.intake.feedback write: the moment of writing
        _violation_and_feedback(session, referral, at, at, rating=5, reopened=False, updated_at=at)
    # Worked by hand: r10's one referral was received in 1398, so a period around now holds only
    # its violation and its rating of 5 — nothing received, resolved, viewed or late.
    only_these = {"violations": 1, "ratings": 1, "satisfaction_avg": 5.0}
    for period in periods:
        with session_scope() as session:
            board = figures(session, parse_period(period), agreement_ids=[agency], now=NOW)
        r10 = next(a for a in board.agencies if a.agreement_id == agency)
        assert asdict(r10) == asdict(Figures(r10.period, agency, **only_these)), period
    with session_scope() as session:
        months = trend(session, parse_period(cut), agency, now=NOW)
    assert len(months) >= 2  # forty days cut at least two Jalali months
    assert [m.received for m in months] == [0] * len(months)
    assert sum(m.violations for m in months) == sum(m.ratings for m in months) == 1
    [now_month] = [m for m in months if m.ratings]
    assert asdict(now_month) == asdict(Figures(now_month.period, agency, **only_these))


def test_on_a_fresh_sqlite_hub_the_figures_equal_the_figures_worked_from_referrals(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)  # the embedded default: the roll-up's migrations run on SQLite too
    rng = random.Random(1399)
    periods = ("1398-01", "1398-01-05..1398-02-20", "1397")
    try:
        with session_scope(url) as session:
            _add_referrals(session, rng, 120)
        for period in periods:
            _assert_board_is_worked_out(period, url=url)
        with session_scope(url) as session:
            _add_referrals(session, rng, 40)  # with violations and feedback, in built months
        for period in periods:
            _assert_board_is_worked_out(period, url=url)
        _assert_trend_is_worked_out(None, url=url)
    finally:
        get_engine(url).dispose()
