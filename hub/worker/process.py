"""Starting and stopping a ``samad-hub worker`` process, for the demo and the test fixtures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from hub.core.queues import WORKER_QUEUES
from hub.core.shipped import CHECKOUT


def start_worker(
    log: Path,
    *,
    beat: bool = True,
    threads: int = 4,
    queues: str = WORKER_QUEUES,
    pool: str = "threads",
) -> subprocess.Popen[bytes]:
    """A worker (threads pool, with beat unless told otherwise), its output appended to ``log``.

    ``threads`` is the pool's size: its threads, or with ``pool="prefork"`` (the CLI's default)
    its child processes.
    It inherits this process's environment, so it works on the same database and broker.
    """
    args = [sys.executable, "-m", "hub", "--log-level", "WARNING", "worker"]
    args += ["--pool", pool, "--concurrency", str(threads), "--loglevel", "WARNING"]
    args += ["--queues", queues]
    if beat:
        args.append("--beat")
    # In a checkout that was never installed, ``-m hub`` finds the package from its root; an
    # installed hub is found anywhere, so the worker stays in this process's directory.
    with log.open("ab") as out:
        return subprocess.Popen(
            args, cwd=CHECKOUT, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT
        )


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """SIGTERM (a worker finishes its current tasks), then SIGKILL if it will not go."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
