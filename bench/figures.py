"""Figures calls on a year of data: 1 M referrals in PostgreSQL, each call timed (target ≤ 500 ms).

    .venv/bin/python bench/figures.py [--referrals 1000000] [--repeat 5] [--keep] [--reuse]

Creates a scratch database (``samad_bench_figures``, dropped afterwards unless ``--keep``;
``--reuse`` takes the one a ``--keep`` run left, migrates it and keeps it, without refilling),
migrates it, fills it with ``INSERT … SELECT generate_series`` — requests and referrals spread
over the Jalali year 1404 (all in the past) across 12 agencies, with deadlines, working times
spread as real ones are (hundreds of histogram buckets per agency and month), states, violations
and feedback when those tables exist — then builds the roll-up by day and month once (the first
call, timed apart), analyzes it, and times the calls the dashboard and the API make: months,
a quarter, the year, ranges of days that cut months, one day, 365 days, and trends. Each prints
the best and median wall time of ``--repeat`` runs, the median CPU time spent by this process
and the database's server processes (read from ``/proc``: what the call costs whatever else the
machine runs), and the load average; then the beat's refresh after 10 and 100 referrals changed,
and the year read right after them (it redoes what changed). Server: ``SAMAD_BENCH_PG`` (default
``postgresql://postgres@127.0.0.1:5432``).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

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
        (g::bigint * 7919) %% 172800, (g::bigint * 7919) %% 345600,
        CASE WHEN g %% 7 = 0 OR g %% 50 = 0 THEN NULL ELSE (g::bigint * 104729) %% 1080000 END
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


def _analyze(url: str) -> None:
    """Statistics of the roll-up just built (autovacuum's job within a minute; done now)."""
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables")]
        for table in tables:
            if table.startswith("figure_"):
                conn.execute(f"ANALYZE {table}")


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _forget_rollup(url: str) -> None:
    """Empty the roll-up a previous run built, so the first call builds it again (timed)."""
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables")}
        conn.execute("DELETE FROM figure_refreshes")
        for table in sorted(tables):
            if table.startswith("figure_"):
                conn.execute(f"TRUNCATE {table}")


def _cpu_ms() -> float:
    """CPU time used so far by this process and by the database's server processes, in ms."""
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        pids = [r[0] for r in conn.execute(_BACKENDS, {"name": NAME})]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # another machine's server, or gone
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return time.process_time() * 1000 + ticks * 1000 / os.sysconf("SC_CLK_TCK")


_BACKENDS = "SELECT pid FROM pg_stat_activity WHERE datname = %(name)s"


def _time(call: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """Best and median wall time, and median CPU time (hub + database), in ms."""
    times, cpu = [], []
    for _ in range(repeat):
        cpu_before = _cpu_ms()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append(_cpu_ms() - cpu_before)
    return min(times), statistics.median(times), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--referrals", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument(
        "--reuse", action="store_true", help="use the database a --keep run left (and keep it)"
    )
    args = parser.parse_args()
    url = f"{PG.replace('postgresql://', 'postgresql+psycopg://')}/{NAME}"
    from hub.db.migrate import upgrade

    if args.reuse:
        args.keep = True
        upgrade(url)
        _forget_rollup(url)
    else:
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{NAME}"')
        upgrade(url)
        started = time.perf_counter()
        _fill(url, args.referrals)
        print(f"filled {args.referrals:,} referrals in {time.perf_counter() - started:.1f} s")

    from hub.db.session import get_engine, session_scope
    from hub.supervision.figures import figures, parse_period, trend

    now = datetime(2026, 4, 1, tzinfo=UTC)
    calls: dict[str, Callable[[], object]] = {}
    periods = (
        "1404-08",  # a month
        "1404-Q3",  # a quarter
        "1404",  # a year
        "1404-01-05..1404-02-20",  # 47 days cutting two months
        "1404-05-10..1404-05-10",  # one day
        "1404-03-03..1404-03-27",  # 25 days inside one month
        "1403-12-16..1404-12-15",  # 365 days across a year's end, cutting a month at each end
    )
    for label in periods:
        calls[f"figures {label}"] = lambda p=parse_period(label): _with_session(
            url, lambda s: figures(s, p, now=now)
        )
    # Asked while the month runs: the deadlines of its last days' referrals are still to come.
    asked = parse_period("1404-12-25..1404-12-25").start + timedelta(hours=12)
    calls["figures 1404-12 asked on 1404-12-25 noon"] = lambda p=parse_period("1404-12"): (
        _with_session(url, lambda s: figures(s, p, now=asked))
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
    built = time.perf_counter() - started
    print(f"first call (builds the roll-up, days and months): {built:.1f} s")
    _analyze(url)
    print(f"{'call':45} {'best ms':>8} {'median ms':>10} {'cpu ms':>7}")
    for name, call in calls.items():
        best, median, cpu = _time(call, args.repeat)
        verdict = "ok" if median <= 500 else "OVER 500 ms"
        print(f"{name:45} {best:8.0f} {median:10.0f} {cpu:7.0f}  {verdict}  (load {_load()})")
    for changed in (10, 100):
        print(_refresh_after_changes(url, changed))
    # Within the refresh lag of those changes: the read redoes their days again (a late commit
    # could hide behind them), 1404-12, and the quarter and the year it sums from its months.
    started = time.perf_counter()
    _with_session(url, lambda s: figures(s, year, now=now))
    took = (time.perf_counter() - started) * 1000
    print(f"figures 1404 right after those changes: {took:.0f} ms (load {_load()})")
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


def _refresh_after_changes(url: str, changed: int) -> str:
    """What the beat sweep does each minute: refresh the month after some referrals changed."""
    from hub.supervision.figures import parse_period
    from hub.supervision.figures.rollup import refresh

    month = parse_period("1404-12")
    with psycopg.connect(url.replace("+psycopg", "")) as conn:
        conn.execute(
            "UPDATE referrals SET updated_at = clock_timestamp() WHERE id IN (SELECT id FROM "
            "referrals WHERE created_at >= %(start)s AND id %% 37 = 0 ORDER BY id LIMIT %(n)s)",
            {"start": month.start, "n": changed},
        )
    started = time.perf_counter()
    redone = _with_session(url, lambda s: refresh(s, month))
    took = (time.perf_counter() - started) * 1000
    return (
        f"refresh of 1404-12 after {changed} referrals changed: {took:.0f} ms "
        f"({redone} agencies redone; load {_load()})"
    )


def _with_session(url: str, work: Callable[..., object]) -> object:
    from hub.db.session import session_scope

    with session_scope(url) as session:
        return work(session)


if __name__ == "__main__":
    main()
