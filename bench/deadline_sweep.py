"""Deadline sweep cost: 1 k due referrals among 10 k, then among 1 M open ones, in PostgreSQL.

    .venv/bin/python bench/deadline_sweep.py [--repeat 5]

Referrals are made with ``INSERT … SELECT generate_series`` (no ORM), 1 000 of them due (their
view deadline was missed: each gets a reminder and a letter to the supervisor — two steps, two
messages, two events); the rest are due in years. One sweep takes all 1 000 due (limit 1 000);
between repetitions its work is undone. Prints the median sweep time at each size and the ratio.
Targets: ≤ 1 s per sweep of 1 k due; ≤ 1.5× between 10 k and 1 M open.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REPO, machine, scratch_database
from hub.agreements.registry import AgreementRegistry
from hub.core.settings import get_settings
from hub.deadlines.escalation import sweep_deadlines
from hub.plugins.manager import plugins

TEHRAN = ZoneInfo("Asia/Tehran")
START = datetime(2027, 5, 8, 8, 0, tzinfo=TEHRAN)  # Saturday; view due 10:00, 75 % at 09:30
NOW = datetime(2027, 5, 8, 10, 1, tzinfo=TEHRAN)
DUE = 1000

REQUEST = """
INSERT INTO requests (id, tracking_code, status, channel, type, category, county,
  citizen_national_id, citizen_mobile, text_fingerprint, document, original, received_at,
  created_at)
VALUES (1, '10000000001', 'referred', 'phone_111', 'complaint', 'water.outage', 'گرگان',
  '0012345679', '09121234567', 'x',
  '{"subject": "قطعی آب", "citizen": {"first_name": "مریم", "last_name": "احمدی"}}', '{}',
  :start, :start)
"""

REFERRALS = """
INSERT INTO referrals (id, request_id, agreement_id, agreement_version, reference,
  idempotency_key, state, version, attempts, view_due_at, act_due_at, result_due_at,
  next_deadline_at, deadlines_started_at, created_at, updated_at)
SELECT g, 1, 'golestan-water', 'bench', 'B-' || g, 'samad-B-' || g, 'delivered', 1, 1,
  :view, :act, :result,
  CASE WHEN g <= :due THEN CAST(:first AS timestamptz) ELSE CAST(:far AS timestamptz) END,
  :start, :start, :start
FROM generate_series(CAST(:low AS bigint), CAST(:high AS bigint)) AS g
"""


def add_referrals(session: Session, low: int, high: int) -> None:
    session.execute(
        text(REFERRALS),
        {
            "low": low,
            "high": high,
            "due": DUE,
            "start": START,
            "view": datetime(2027, 5, 8, 10, 0, tzinfo=TEHRAN),
            "act": datetime(2027, 5, 10, 8, 0, tzinfo=TEHRAN),
            "result": datetime(2027, 5, 15, 8, 0, tzinfo=TEHRAN),
            "first": datetime(2027, 5, 8, 9, 30, tzinfo=TEHRAN),
            "far": datetime(2031, 1, 1, tzinfo=TEHRAN),
        },
    )
    session.commit()
    session.execute(text("ANALYZE referrals"))
    session.commit()


def measure(url: str, registry: AgreementRegistry, repeat: int) -> tuple[float, int]:
    engine = create_engine(url)
    timings, steps = [], 0
    try:
        for _ in range(repeat):
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                undo(conn)  # autocommit: VACUUM cannot run inside a transaction
            with Session(engine) as session:
                started = time.perf_counter()
                result = sweep_deadlines(session, registry, NOW, limit=DUE)
                session.commit()
                timings.append(time.perf_counter() - started)
                steps = result.steps
    finally:
        engine.dispose()
    return statistics.median(timings), steps


def undo(conn: Connection) -> None:
    """Forget the last sweep's work, so the next one finds the same 1 000 due."""
    conn.execute(text("DELETE FROM notifications"))
    conn.execute(text("DELETE FROM escalation_steps"))
    conn.execute(text("DELETE FROM events WHERE kind = 'deadline.escalated'"))
    conn.execute(
        text("UPDATE referrals SET next_deadline_at = :first WHERE id <= :due"),
        {"first": datetime(2027, 5, 8, 9, 30, tzinfo=TEHRAN), "due": DUE},
    )
    conn.execute(text("VACUUM ANALYZE referrals"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    settings = get_settings()
    registry = AgreementRegistry(REPO / "config" / "agreements", plugins(), settings)
    print(f"machine: {machine()}")
    with scratch_database("samad_bench_deadlines") as url:
        engine = create_engine(url)
        with Session(engine) as session:
            session.execute(text(REQUEST), {"start": START})
            started = time.perf_counter()
            add_referrals(session, 1, 10_000)
            print(f"10 k open referrals inserted in {time.perf_counter() - started:.1f} s")
        small, steps = measure(url, registry, args.repeat)
        print(f"sweep of {DUE} due among 10 k open: {small * 1000:.0f} ms ({steps} steps)")
        with Session(engine) as session:
            started = time.perf_counter()
            add_referrals(session, 10_001, 1_000_000)
            print(f"1 M open referrals in total, inserted in {time.perf_counter() - started:.1f} s")
        engine.dispose()
        large, steps = measure(url, registry, args.repeat)
        print(f"sweep of {DUE} due among 1 M open: {large * 1000:.0f} ms ({steps} steps)")
        print(f"ratio 1 M / 10 k: {large / small:.2f}× (target ≤ 1.5×; target ≤ 1000 ms each)")


if __name__ == "__main__":
    main()
