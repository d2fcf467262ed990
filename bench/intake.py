"""Intake throughput: ``POST /v1/requests`` on PostgreSQL vs a bare FastAPI endpoint, same run.

    .venv/bin/python bench/intake.py [--seconds 15] [--workers 2] [--connections 32]

Both servers run under uvicorn with the same number of worker processes on this machine and are
loaded by ``wrk`` (Debian package) with the same connections; every hub request is a different
citizen, so each is validated, normalised, checked for duplicates, stored with its events and
referral, and its delivery task published to Redis. Prints requests/s, p50/p99 and the ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PYTHON, REDIS, REPO, machine, process, scratch_database, wait_http
from hub.sandbox.server import free_port


def load(url: str, seconds: int, connections: int, headers: list[str]) -> dict[str, float]:
    args = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "-s",
        str(REPO / "bench" / "intake_body.lua"),
    ]
    for header in headers:
        args += ["-H", header]
    out = subprocess.run([*args, f"{url}/v1/requests"], capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("RESULT"))
    _, total, errors, duration_us, p50, p99 = line.split()
    return {
        "requests": int(total),
        "non_2xx": int(errors),
        "rps": int(total) / (int(duration_us) / 1e6),
        "p50_ms": float(p50),
        "p99_ms": float(p99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    redis.Redis.from_url(REDIS).flushdb()
    logs = Path(os.environ.get("TMPDIR", "/tmp"))
    with scratch_database("samad_bench_intake") as db_url:
        env = {
            **os.environ,
            "SAMAD_DATABASE_URL": db_url,
            "SAMAD_BROKER_URL": REDIS,
            "SAMAD_DATA_DIR": str(logs / "samad-bench"),
            "SAMAD_WATER_TOKEN": "bench",
        }
        headers = bench_headers(env)
        hub_port, base_port = free_port(), free_port()
        hub = [
            PYTHON,
            "-m",
            "hub",
            "serve",
            "--port",
            str(hub_port),
            "--workers",
            str(args.workers),
        ]
        base = [
            PYTHON,
            "-m",
            "uvicorn",
            "bench.baseline_app:app",
            "--port",
            str(base_port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ]
        results = {}
        for name, cmd, port in (("baseline", base, base_port), ("hub", hub, hub_port)):
            with process(cmd, env, logs / f"bench-{name}.log"):
                url = f"http://127.0.0.1:{port}"
                wait_http(f"{url}/docs")
                load(url, 3, args.connections, headers)  # warm up
                results[name] = load(url, args.seconds, args.connections, headers)
    redis.Redis.from_url(REDIS).flushdb()
    report(results, args)


def bench_headers(env: dict[str, str]) -> list[str]:
    """An operator token, made in the scratch database, as the call centre's software has."""
    os.environ.update(env)
    from hub.auth.roles import Role
    from hub.auth.tokens import create_token
    from hub.core.settings import get_settings
    from hub.db.session import session_scope

    get_settings.cache_clear()
    with session_scope() as session:
        secret = create_token(session, "bench-call-centre", Role.OPERATOR).secret
    return [f"Authorization: Bearer {secret}"]


def report(results: dict[str, dict[str, float]], args: argparse.Namespace) -> None:
    hub, base = results["hub"], results["baseline"]
    print(f"machine: {machine()}")
    print(
        f"load: wrk, 2 threads, {args.connections} connections, {args.seconds}s; "
        f"{args.workers} uvicorn workers each"
    )
    for name, r in (("bare FastAPI", base), ("POST /v1/requests", hub)):
        print(
            f"{name:20s} {r['rps']:8.0f} req/s  p50 {r['p50_ms']:6.1f} ms  "
            f"p99 {r['p99_ms']:6.1f} ms  non-2xx {r['non_2xx']}"
        )
    print(f"ratio hub/baseline: {hub['rps'] / base['rps']:.3f} (target >= 0.15)")


if __name__ == "__main__":
    main()
