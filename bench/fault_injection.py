"""The long fault-injection run: ≥ 10,000 requests, every fault several times; prints figures.

    .venv/bin/python bench/fault_injection.py --requests 10000 --rounds 5 [--broker rabbitmq]

Starts the whole hub in real processes (``tests/faults/harness.py``: API, 2 workers, 2 beats, a
private Redis, a database of its own on the PostgreSQL at SAMAD_TEST_PG, a REST agency sandbox)
and prints: accepted, lost, duplicated at the agency, failed (with reasons), updates applied
twice, audit gaps, and the time from the last fault until everything settled.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.faults.harness import Cluster, run_scenario


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--broker", choices=["redis", "rabbitmq"], default="redis")
    parser.add_argument(
        "--settle-seconds", type=float, default=900, help="how long the backlog may take to drain"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the run's database and logs to inspect"
    )
    args = parser.parse_args()
    pg = os.environ.get("SAMAD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
    os.environ.setdefault("SAMAD_ENVIRONMENT", "test")
    cluster = Cluster(pg, workers=args.workers, broker=args.broker).start()
    started = time.monotonic()
    depths: list[tuple[float, int]] = []
    sampling = threading.Event()

    def sample_queue() -> None:
        while not sampling.wait(5):
            depth = cluster.queue_depth()
            if depth is not None:
                depths.append((time.monotonic() - started, depth))

    threading.Thread(target=sample_queue, daemon=True).start()
    try:
        recovered_in = run_scenario(
            cluster, args.requests, rounds=args.rounds, settle_seconds=args.settle_seconds
        )
        settled_at = time.monotonic()
        verdict = cluster.verify()
        stuck = [u.split(": ", 1)[0] for u in verdict.unsettled]
        gaps = sorted({g.split(": ", 1)[0] for g in verdict.audit_gaps})
        inspected = cluster.explain(stuck[:40] + gaps)
        retrying = cluster.retry_scheduled(stuck)
    finally:
        sampling.set()
        cluster.stop(keep=args.keep)
    reasons = Counter(r.split(": ", 1)[1][:80] for r in verdict.failed)
    print(f"broker: {args.broker}; workers: {args.workers}; rounds of faults: {args.rounds}")
    print(f"faults injected: {Counter(f for _, f in cluster.faults)}")
    print(f"requests submitted: {args.requests}; accepted: {verdict.accepted}; "
          f"refused while broken: {cluster.refused}")  # fmt: skip
    print(f"referrals: {verdict.referrals}; delivered: {verdict.delivered}; "
          f"delivery_failed: {len(verdict.failed)} {dict(reasons)}")  # fmt: skip
    waiting = Counter(u.rsplit(": ", 1)[1] for u in verdict.unsettled)
    print(f"not settled when the run ended (by state): {dict(waiting)}")
    latest = f", the latest in {max(retrying.values()):.0f} s" if retrying else ""
    print(f"of those, pending with their next attempt ahead (backoff, breaker or dispatch "
          f"lease): {len(retrying)}{latest}; due now or in flight: "
          f"{len(verdict.unsettled) - len(retrying)}")  # fmt: skip
    print(f"lost (accepted, not in the database): {len(verdict.lost)}; "
          f"duplicated at the agency: {verdict.agency_duplicates}; "
          f"orphan tickets: {len(verdict.orphan_tickets)}")  # fmt: skip
    print(f"updates applied twice: {len(verdict.updates_applied_twice)}; "
          f"audit gaps: {len(verdict.audit_gaps)}")  # fmt: skip
    last_fault = max(at for at, _ in cluster.faults) - started
    load_ended = settled_at - recovered_in - started
    print(f"faults: the last at {last_fault:.0f} s; requests until {load_ended:.0f} s "
          f"({verdict.accepted / max(load_ended, 1):.1f} accepted/s)")  # fmt: skip
    print(f"time to recover (all settled) after the last request: {recovered_in:.1f} s, "
          f"after the last fault: {recovered_in + load_ended - last_fault:.1f} s; "
          f"whole run: {time.monotonic() - started:.0f} s")  # fmt: skip
    if depths:
        peak = max(depths, key=lambda d: d[1])
        print(f"tasks waiting in the broker's queue: at most {peak[1]} (at {peak[0]:.0f} s), "
              f"{depths[-1][1]} at the end")  # fmt: skip
    for gap in verdict.audit_gaps:
        print(f"audit gap: {gap}")
    if inspected:
        print("unsettled (the first 40) and audit-gap referrals, row and last events:")
        print("\n".join(inspected))
    if args.keep:
        print(f"kept: database {cluster.db_name}, logs in {cluster.root}")
    sys.exit(0 if verdict.ok else 1)


if __name__ == "__main__":
    main()
