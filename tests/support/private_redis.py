"""A Redis of a test's own, for tests that break it on purpose (or must not share the run's).

``PrivateRedis`` is a ``redis-server`` on a free loopback port, without persistence, that the test
may kill and start again on the same port, so that its clients reconnect to it.
"""

from __future__ import annotations

import subprocess
import time

import redis

from hub.sandbox.server import free_port


class PrivateRedis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> PrivateRedis:
        self._process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return self
            except redis.ConnectionError:
                time.sleep(0.05)
            finally:
                client.close()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would: nothing is saved, clients are cut off."""
        if self._process is not None:
            self._process.kill()
            self._process.wait()
            self._process = None
