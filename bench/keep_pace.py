"""Does one agency's delivery keep pace with a steady intake, with two workers?

    .venv/bin/python bench/keep_pace.py [--rate 30] [--seconds 120] [--workers 2]

Starts the hub in real processes (``tests.faults.harness.Cluster``: the API, two threaded
workers, two beats, a Redis of its own, a database of its own on the PostgreSQL at
SAMAD_TEST_PG) with the REST sandbox as its one agency, answering normally. Requests go in at a
steady ``--rate`` (``bench.paced_intake``) for ``--seconds``; every ``--every`` seconds the
backlog is sampled: referrals not yet delivered (``pending`` or ``delivering``) and the age of
the oldest of them.

Reported: the intake rate achieved, the delivery rate over the same time (and its ratio to the
intake), the backlog at the start, middle and end, the oldest pending referral's largest age, the
hub's CPU time per referral (API, workers and beats, from ``/proc``; PostgreSQL and the sandbox
not included), and the verdict. It *kept pace* when the backlog at the end is at most
``--max-backlog`` and the oldest pending referral was never older than ``--max-age`` seconds:
a backlog that grows shows as both. Exits 1 when it did not keep pace.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis

from bench.chaos import header
from bench.paced_intake import PacedIntake
from tests.faults.harness import Cluster

TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Sample:
    at: float  # seconds since the intake began
    backlog: int
    oldest_seconds: float
    delivered: int
    queued: int | None  # tasks waiting in the broker's queue (None: it could not be asked)
    kinds: Counter[str]  # of those, how many of each task


def sample(cluster: Cluster, began: float) -> Sample:
    """The backlog now: referrals not yet delivered, their oldest's age, and those delivered."""
    backlog, oldest, delivered = cluster._query(
        "SELECT count(*) FILTER (WHERE state IN ('pending', 'delivering')), "
        "coalesce(extract(epoch FROM now() - min(created_at) "
        "FILTER (WHERE state IN ('pending', 'delivering'))), 0), "
        "count(*) FILTER (WHERE delivered_at IS NOT NULL) FROM referrals"
    )[0]
    queued = cluster.queue_depth()
    kinds = queued_tasks(cluster)
    return Sample(time.time() - began, int(backlog), float(oldest), int(delivered), queued, kinds)


def queued_tasks(cluster: Cluster) -> Counter[str]:
    """The tasks waiting in the Redis queue, by task name: what a delivery task waits behind."""
    try:
        messages = redis.Redis.from_url(cluster.redis_url).lrange("samad", 0, -1)
    except redis.RedisError:
        return Counter()
    return Counter(json.loads(m).get("headers", {}).get("task", "?") for m in messages)


def cpu_seconds(cluster: Cluster) -> float:
    """User + system CPU of the hub's processes (API, workers, beats) so far."""
    total = 0
    for process in [*cluster.workers, *cluster.others]:
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / TICKS


def delivered_between(cluster: Cluster, start: float, end: float) -> int:
    rows = cluster._query(
        "SELECT count(*) FROM referrals WHERE delivered_at >= to_timestamp(%s) "
        "AND delivered_at < to_timestamp(%s)",
        start,
        end,
    )
    return int(rows[0][0])


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=30, help="requests per second (30)")
    parser.add_argument("--seconds", type=float, default=120, help="how long the intake runs")
    parser.add_argument("--every", type=float, default=5, help="seconds between samples (5)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--poll-seconds",
        type=int,
        default=1,
        help="the agreement's polling interval (1, as in the fault harness; the sample: 300)",
    )
    parser.add_argument(
        "--max-backlog", type=int, default=90, help="undelivered at the end, at most (90: 3 s)"
    )
    parser.add_argument(
        "--max-age", type=float, default=10, help="the oldest pending's age, at most (10 s)"
    )
    return parser.parse_args()


def main() -> None:
    args = parse()
    heading = header(Path("/proc/loadavg").read_text().strip())  # the tree as the run starts
    os.environ.setdefault("SAMAD_ENVIRONMENT", "test")
    pg = os.environ.get("SAMAD_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
    cluster = Cluster(pg, workers=args.workers, poll_seconds=args.poll_seconds)
    samples: list[Sample] = []
    try:
        cluster.start()
        time.sleep(5)  # the workers' start-up is not the thing measured
        cpu_before = cpu_seconds(cluster)
        intake = PacedIntake(cluster, args.rate, total=int(args.rate * args.seconds)).start()
        began = intake.started_at
        done = threading.Event()
        sampler = threading.Thread(
            target=lambda: _sample_until(cluster, began, args.every, done, samples), daemon=True
        )
        sampler.start()
        intake.wait()
        ended = time.time()
        done.set()
        sampler.join()
        samples.append(sample(cluster, began))
        cpu = cpu_seconds(cluster) - cpu_before
        delivered = delivered_between(cluster, began, ended)
        drained = _drain(cluster, began, timeout=120)
    finally:
        cluster.stop()
    report(args, heading, intake, samples, began, ended, delivered, cpu, drained)


def _sample_until(
    cluster: Cluster, began: float, every: float, done: threading.Event, into: list[Sample]
) -> None:
    while True:
        into.append(sample(cluster, began))
        if done.wait(every):
            return


def _drain(cluster: Cluster, began: float, timeout: float) -> float:
    """Seconds after the intake's end until nothing is left undelivered (inf: not in time)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if sample(cluster, began).backlog == 0:
            return time.monotonic() - started
        time.sleep(0.5)
    return float("inf")


def report(
    args: argparse.Namespace,
    heading: str,
    intake: PacedIntake,
    samples: list[Sample],
    began: float,
    ended: float,
    delivered: int,
    cpu: float,
    drained: float,
) -> None:
    sent = intake.answered()
    accepted = sum(1 for s in sent if s.code is not None)
    others = Counter(s.outcome for s in sent if s.code is None)
    refused = ", ".join(f"{k}×{v}" for k, v in sorted(others.items())) or "none refused"
    span = ended - began
    middle = min(samples, key=lambda s: abs(s.at - span / 2))
    oldest = max(samples, key=lambda s: s.oldest_seconds)
    largest = max(samples, key=lambda s: s.backlog)
    kept = samples[-1].backlog <= args.max_backlog and oldest.oldest_seconds <= args.max_age
    print(heading)
    print(
        f"intake: {len(sent)} sent, {accepted} accepted ({refused}) in {span:.1f} s = "
        f"{accepted / span:.1f}/s "
        f"(paced at {args.rate:g}/s, at most {intake.lateness():.2f} s late); "
        f"workers: {args.workers}; polling every {args.poll_seconds} s"
    )
    print(
        f"delivery: {delivered} delivered in the same {span:.1f} s = {delivered / span:.1f}/s, "
        f"{delivered / max(accepted, 1):.3f} of the accepted; the rest drained "
        f"{'never' if drained == float('inf') else f'{drained:.1f} s'} after the intake ended"
    )
    print(
        f"backlog (not yet delivered): start {samples[0].backlog}, middle {middle.backlog} "
        f"(at {middle.at:.0f} s), end {samples[-1].backlog}; largest {largest.backlog} "
        f"(at {largest.at:.0f} s)"
    )
    print(
        f"oldest pending referral: at most {oldest.oldest_seconds:.1f} s old "
        f"(at {oldest.at:.0f} s); at the end {samples[-1].oldest_seconds:.1f} s"
    )
    print(
        f"hub CPU (API + workers + beats): {cpu:.1f} s over the run = "
        f"{1000 * cpu / max(accepted, 1):.1f} ms per referral, {cpu / span:.2f} cores"
    )
    print("samples (s: backlog / oldest age s / tasks queued): " + ", ".join(
        f"{s.at:.0f}: {s.backlog}/{s.oldest_seconds:.1f}/{s.queued}" for s in samples
    ))  # fmt: skip
    fullest = max(samples, key=lambda s: s.queued or 0)
    print(
        f"tasks waiting in the broker at the fullest ({fullest.at:.0f} s): "
        + (", ".join(f"{k} ×{v}" for k, v in fullest.kinds.most_common()) or "none")
    )
    print(
        f"kept pace: {'yes' if kept else 'NO'} (end backlog ≤ {args.max_backlog} and oldest "
        f"age ≤ {args.max_age:g} s)"
    )
    sys.exit(0 if kept else 1)


if __name__ == "__main__":
    main()
