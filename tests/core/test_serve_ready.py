"""``samad-hub serve`` says when it is ready to accept requests, and how long start-up took."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest

from hub.core.settings import REPO_ROOT
from hub.sandbox.server import free_port

READY = re.compile(r"API process (\d+) ready to accept requests after (\d+\.\d+) s of start-up")


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
        into.put(line)


@pytest.mark.usefixtures("database")
def test_serve_logs_once_it_is_ready_and_then_answers_at_once() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "hub", "serve", "--port", str(port)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                seen.append(lines.get(timeout=1))
            except queue.Empty:
                assert process.poll() is None, "".join(seen)
                continue
            ready = READY.search(seen[-1])
            if ready:
                break
        else:
            raise AssertionError("no ready line:\n" + "".join(seen))
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 200
        assert int(ready[1]) == process.pid
        assert 0 < float(ready[2]) < 90
        assert any(f"API starting on http://127.0.0.1:{port}" in line for line in seen)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        assert process.stdout is not None
        process.stdout.close()
