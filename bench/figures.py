"""Figures calls on a year of data: 1 M referrals in PostgreSQL, each call timed (target ≤ 500 ms).

    .venv/bin/python bench/figures.py [--referrals 1000000] [--repeat 5] [--keep]

Creates a scratch database (``samad_bench_figures``, dropped afterwards unless ``--keep``),
migrates it, fills it with ``INSERT … SELECT generate_series`` — requests and referrals spread
over the Jalali year 1404 (all in the past) across 12 agencies, with deadlines, handling times,
states, violations and feedback when those tables exist — then builds the monthly roll-up once
(the first call, timed apart) and times the calls the dashboard and the API make, printing the
best and median of ``--repeat`` runs each. Server: ``SAMAD_BENCH_PG`` (default
``postgresql://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

PG = os.environ.get("SAMAD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
NAME = "samad_bench_figures"
AGENCIES = 12

FILL = [
    """
    INSERT INTO requests (id, tracking_code, status, channel, type, category, county,
        citizen_national_id, citizen_mobile, text_fingerprint, document, original,
        received_at, created_at)
    SELECT g, lpad(g::text, 11, '0'), 'referred', 'phone_111', 'complaint', 'water.outage',
        'گرگان', '0012345679', '09121234567', '', '{}'::jsonb, '{}'::jsonb,
        %(start)s::timestamptz + (g::float / %(n)s) * %(span)s::interval,
        %(start)s::timestamptz + (g::float / %(n)s) * %(span)s::interval
    FROM generate_series(1, %(n)s) AS g
    """,
    """
    INSERT INTO referrals (id, request_id, agreement_id, agreement_version, reference,
        idempotency_key, state, version, attempts, created_at, updated_at, delivered_at,
        view_due_at, act_due_at, result_due_at, viewed_at, acted_at, resolved_at,
        view_working_seconds, act_working_seconds, resolve_working_seconds)
    SELECT g, g, 'agency-' || (g %% %(agencies)s), 'v1', 'r' || g, 'k' || g,
        CASE WHEN g %% 50 = 0 THEN 'delivery_failed' WHEN g %% 7 = 0 THEN 'in_progress'
             ELSE 'resolved' END,
        1, 1, c, c, c + interval '1 minute',
        c + interval '1 day', c + interval '3 days', c + interval '10 days',
        c + (g %% 48) * interval '1 hour', c + (g %% 96) * interval '1 hour',
        CASE WHEN g %% 7 = 0 OR g %% 50 = 0 THEN NULL ELSE c + (g %% 300) * interval '1 hour' END,
        (g %% 48) * 1500, (g %% 96) * 1500,
        CASE WHEN g %% 7 = 0 OR g %% 50 = 0 THEN NULL ELSE (g %% 300) * 1500 END
    FROM (SELECT g, %(start)s::timestamptz + (g::float / %(n)s) * %(span)s::interval AS c
          FROM generate_series(1, %(n)s) AS g) AS t
    """,
]
OPTIONAL_FILL = {
    "violations": """
    INSERT INTO violations (agreement_id, referral_id, deadline, due_at, recorded_at,
        late_seconds, updated_at)
    SELECT agreement_id, id, 'result', result_due_at, result_due_at, 3600, result_due_at
    FROM referrals WHERE id %% 9 = 0
    """,
    "feedback": """
    INSERT INTO feedback (request_id, referral_id, agreement_id, rating, reopened, result_at,
        created_at)
    SELECT request_id, id, agreement_id, 1 + id %% 5, id %% 13 = 0, resolved_at,
        resolved_at + interval '1 day'
    FROM referrals WHERE resolved_at IS NOT NULL AND id %% 3 = 0
    """,
}


def _fill(url: str, n: int) -> None:
    params = {
        "n": n,
        "agencies": AGENCIES,
        "start": datetime(2025, 3, 20, 20, 30, tzinfo=UTC),
        "span": "365 days",
    }
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables")}
        for statement in FILL:
            conn.execute(statement, params)
        for table, statement in OPTIONAL_FILL.items():
            if table in tables:
                conn.execute(statement, params)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")


def _time(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return min(times), statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    args = parser.parse_args()
    url = f"{PG.replace('postgresql://', 'postgresql+psycopg://')}/{NAME}"
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{NAME}"')
    from hub.db.migrate import upgrade

    upgrade(url)
    started = time.perf_counter()
    _fill(url, args.referrals)
    print(f"filled {args.referrals:,} referrals in {time.perf_counter() - started:.1f} s")

    from hub.db.session import get_engine, session_scope
    from hub.figures import figures, parse_period, trend

    now = datetime(2026, 4, 1, tzinfo=UTC)
    calls: dict[str, Callable[[], object]] = {}
    for label in ("1404-08", "1404-Q3", "1404", "1404-01-05..1404-02-20"):
        calls[f"figures {label}"] = lambda p=parse_period(label): _with_session(
            url, lambda s: figures(s, p, now=now)
        )
    year = parse_period("1404")
    calls["trend 1404 by month, one agency"] = lambda: _with_session(
        url, lambda s: trend(s, year, "agency-3", now=now)
    )
    calls["trend 1404 by month, province"] = lambda: _with_session(
        url, lambda s: trend(s, year, None, now=now)
    )
    started = time.perf_counter()
    _with_session(url, lambda s: figures(s, year, now=now))  # builds the roll-up (once)
    print(f"first call (builds the monthly roll-up): {time.perf_counter() - started:.1f} s")
    print(f"{'call':45} {'best ms':>9} {'median ms':>10}")
    for name, call in calls.items():
        best, median = _time(call, args.repeat)
        verdict = "ok" if median <= 500 else "OVER 500 ms"
        print(f"{name:45} {best:9.0f} {median:10.0f}  {verdict}")
    with session_scope(url) as session:
        board = figures(session, year, now=now)
    p = board.province
    print(
        f"province 1404: received {p.received:,}, viewed on time {p.viewed_on_time_pct}%, "
        f"resolved on time {p.resolved_on_time_pct}%, median view {p.view_median_hours} h, "
        f"p90 resolve {p.resolve_p90_hours} h, violations {p.violations:,}, "
        f"satisfaction {p.satisfaction_avg}"
    )
    get_engine(url).dispose()
    if not args.keep:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')


def _with_session(url: str, work: Callable[..., object]) -> object:
    from hub.db.session import session_scope

    with session_scope(url) as session:
        return work(session)


if __name__ == "__main__":
    main()
