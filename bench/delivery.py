"""Delivery throughput: intake → sandbox agency has the ticket, vs a Celery no-op pipeline.

    .venv/bin/python bench/delivery.py [--referrals 2000] [--concurrency 4] [--rounds 3]

Two Celery worker processes (threads pool) on Redis and PostgreSQL. The hub run submits requests
through the intake (validation, storage, routing, outbox, publish) and waits until the REST
sandbox — a separate process — holds every ticket. The baseline publishes as many no-op tasks to
the same two workers and waits until all ran. The two alternate for ``--rounds`` rounds (the
machine is shared and noisy); prints both rates and the ratio of each round, and their median.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import httpx
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, REDIS, REPO, machine, process, scratch_database, wait_http
from hub.sandbox.server import free_port

COUNTER = "redis://127.0.0.1:6379/13"


def _national_id(n: int) -> str:
    body = f"{(n * 7919 + 1234567) % 10**9:09d}"
    r = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
    return body + str(r if r < 2 else 11 - r)


def _request(n: int) -> dict:
    return {
        "channel": "phone_111",
        "type": "complaint",
        "category": "water.outage",
        "subject": "قطعی آب",
        "description": f"آب ساختمان قطع است، پرونده {n}",
        "citizen": {
            "national_id": _national_id(n),
            "first_name": "مریم",
            "last_name": "احمدی",
            "mobile": "09121234567",
        },
        "location": {"county": "گرگان"},
    }


def _agreements(directory: Path, sandbox_url: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    text = (REPO / "config" / "agreements" / "golestan-water.yaml").read_text(encoding="utf-8")
    text = text.replace("http://127.0.0.1:8731", sandbox_url)
    (directory / "golestan-water.yaml").write_text(text, encoding="utf-8")


def _workers(env: dict[str, str], logs: Path, concurrency: int) -> list:
    cmd = [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "hub.core.celery_app:app",
        "worker",
        "--include",
        "bench.noop",
        "--pool",
        "threads",
        f"--concurrency={concurrency}",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "-Q",
        "samad",
    ]
    return [
        process([*cmd, "-n", f"bench{i}@%h"], env, logs / f"bench-worker{i}.log") for i in range(2)
    ]


def run_hub(count: int, sandbox_url: str) -> float:
    from hub.agreements.registry import get_registry
    from hub.core.settings import get_settings
    from hub.db.session import session_scope
    from hub.delivery.dispatch import agreements_of
    from hub.intake.submit import submit_request
    from hub.worker.tasks import wake_deliveries

    registry, settings = get_registry(), get_settings()
    base = random.randrange(10**8)

    def submit(n: int) -> None:
        with session_scope() as session:
            result = submit_request(session, _request(base + n), registry, settings)
            session.commit()
            wake_deliveries(agreements_of(result.referrals))

    tickets = httpx.get(f"{sandbox_url}/_control/stats").json()["tickets"] + count
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(submit, range(count)))
    while httpx.get(f"{sandbox_url}/_control/stats").json()["tickets"] < tickets:
        time.sleep(0.05)
    return count / (time.monotonic() - started)


def run_noop(count: int) -> float:
    from bench.noop import noop

    counter = redis.Redis.from_url(COUNTER)
    counter.delete("bench:noop")
    started = time.monotonic()
    for n in range(count):
        noop.delay(n)
    while int(counter.get("bench:noop") or 0) < count:
        time.sleep(0.02)
    return count / (time.monotonic() - started)


@contextmanager
def running_pipeline(database: str, concurrency: int) -> Iterator[str]:
    """A scratch database, the REST sandbox and two started Celery workers; the sandbox's URL."""
    logs = Path(tempfile.mkdtemp(prefix="samad-bench-"))
    redis.Redis.from_url(REDIS).flushdb()
    with scratch_database(database) as db_url:
        sandbox_port = free_port()
        sandbox_url = f"http://127.0.0.1:{sandbox_port}"
        os.environ.update(
            SAMAD_DATABASE_URL=db_url,
            SAMAD_BROKER_URL=REDIS,
            SAMAD_DATA_DIR=str(logs),
            SAMAD_AGREEMENTS_DIR=str(logs / "agreements"),
            SAMAD_WATER_TOKEN="sandbox-token",
            SAMAD_BENCH_COUNTER=COUNTER,
        )
        _agreements(logs / "agreements", sandbox_url)
        sandbox = [PYTHON, "-m", "hub.sandbox.rest", "--port", str(sandbox_port)]
        sandbox += ["--step-seconds", "3600", "--auth", "bearer", "--token", "sandbox-token"]
        with process(sandbox, dict(os.environ), logs / "sandbox.log"):
            wait_http(f"{sandbox_url}/_control/stats")
            workers = _workers(dict(os.environ), logs, concurrency)
            for w in workers:
                w.__enter__()
            try:
                time.sleep(3)
                yield sandbox_url
            finally:
                for w in workers:
                    w.__exit__(None, None, None)
    redis.Redis.from_url(REDIS).flushdb()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--referrals", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="no-op and hub runs, alternated")
    args = parser.parse_args()
    with running_pipeline("samad_bench_delivery", args.concurrency) as sandbox_url:
        # Both pipelines are warmed up the same way before they are timed: the first tasks of a
        # worker pay for imports, connections and (hub) loading agreements.
        run_noop(200)
        run_hub(200, sandbox_url)
        rounds = []
        for _ in range(args.rounds):  # alternated, so a busy moment hits both
            noop_rate = run_noop(args.referrals)
            hub_rate = run_hub(args.referrals, sandbox_url)
            rounds.append((noop_rate, hub_rate))
    print(f"machine: {machine()}")
    print(
        f"2 Celery worker processes, threads pool x{args.concurrency}, Redis, PostgreSQL; "
        f"{args.referrals} referrals"
    )
    for number, (noop_rate, hub_rate) in enumerate(rounds, 1):
        print(
            f"round {number}: celery no-op pipeline {noop_rate:6.0f} tasks/s, "
            f"intake → agency ticket {hub_rate:5.0f} referrals/s, ratio {hub_rate / noop_rate:.3f}"
        )
    ratios = [hub_rate / noop_rate for noop_rate, hub_rate in rounds]
    median = statistics.median(ratios)
    print(f"ratio hub/no-op, median of {len(ratios)} rounds: {median:.3f} (target >= 0.3)")


if __name__ == "__main__":
    main()
