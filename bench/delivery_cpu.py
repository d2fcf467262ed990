"""Where the delivery benchmark's CPU goes: CPU seconds per referral, by process group.

    .venv/bin/python bench/delivery_cpu.py [--referrals 4000]

Runs ``bench/delivery.py``'s hub pipeline once (intake in this process, two Celery workers, the
REST sandbox, PostgreSQL, Redis) and reads every group's CPU time from ``/proc`` before and after.
2 cores give at most 2 s of CPU a second, so the total bounds the rate: 2000 / total ms.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import delivery
from bench.common import machine

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = {  # pgrep -f patterns
    "workers": "bench[0-9]@",
    "sandbox": "hub.sandbox.rest",
    "postgres": "postgres",
    "redis": "redis-server",
}


def _cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _pids(pattern: str) -> list[int]:
    found = subprocess.run(["pgrep", "-f", pattern], capture_output=True, text=True).stdout
    return [int(pid) for pid in found.split()]


def _groups() -> dict[str, float]:
    times = {"intake (this process)": _cpu(os.getpid())}
    for name, pattern in GROUPS.items():
        times[name] = sum(_cpu(pid) for pid in _pids(pattern))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--referrals", type=int, default=4000)
    args = parser.parse_args()
    with delivery.running_pipeline("samad_bench_delivery_cpu", 4) as sandbox_url:
        delivery.run_hub(200, sandbox_url)  # warm up, as the benchmark does
        before = _groups()
        rate = delivery.run_hub(args.referrals, sandbox_url)
        time.sleep(0.5)  # the last settles
        after = _groups()
    print(f"machine: {machine()}")
    print(f"{args.referrals} referrals at {rate:.0f} referrals/s; CPU per referral:")
    total = 0.0
    for name in before:
        ms = (after[name] - before[name]) * 1000 / args.referrals
        total += ms
        print(f"  {name:22s} {ms:5.2f} ms")
    print(f"  {'total':22s} {total:5.2f} ms → at most {2000 / total:.0f} referrals/s on 2 cores")


if __name__ == "__main__":
    main()
