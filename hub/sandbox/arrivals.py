"""When each request reached a sandbox, on the sandbox's own clock.

Recorded by ASGI middleware before a fault or the app sees the request, so a rate is measured
where the agency would measure it — not when the hub meant to call (a claim, a throttle slot,
a thread that started late all come before the arrival). ``/_control/*`` is not recorded.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

CONTROL_PREFIX = "/_control"


@dataclass(frozen=True)
class Arrival:
    at: float  # time.monotonic() of the sandbox's process
    method: str
    path: str


class Arrivals:
    """Every request's arrival, thread-safe: the server thread writes, a test reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: list[Arrival] = []

    def record(self, method: str, path: str) -> None:
        with self._lock:
            self._seen.append(Arrival(time.monotonic(), method, path))

    def times(self, method: str | None = None, path: str | None = None) -> list[float]:
        """The arrival times of the requests of this method and path (None: any), in order."""
        with self._lock:
            return [
                a.at
                for a in self._seen
                if (method is None or a.method == method) and (path is None or a.path == path)
            ]


def most_within(times: list[float], seconds: float) -> int:
    """The most arrivals in any window ``seconds`` long (a sliding window, not clock-aligned)."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= seconds:
            first += 1
        most = max(most, last - first + 1)
    return most


class RecordArrivals:
    """Pure ASGI middleware: note the request's arrival, then hand it on untouched."""

    def __init__(self, app: ASGIApp, arrivals: Arrivals) -> None:
        self.app = app
        self.arrivals = arrivals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(CONTROL_PREFIX):
            self.arrivals.record(scope["method"], scope["path"])
        await self.app(scope, receive, send)
