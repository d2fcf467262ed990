"""Faults the REST sandbox can be told to show, and the ASGI middleware that shows them.

Tests and the demo switch a fault on (``POST /_control/faults`` or ``app.faults.set(...)``) for the
next ``count`` requests, or until it is switched off; ``/_control/*`` itself is never faulted, so a
fault can always be undone. A fault can be narrowed to one HTTP ``method`` and/or one exact
``path`` — ``{"mode": "reject400", "count": 1, "method": "POST", "path": "/api/v1/tickets"}``
refuses the next push only: batch polls and reminders are POSTs too, and neither they nor other
requests use up its count.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from enum import StrEnum

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.sandbox.lost_answers import reset_connection, sleep_unless_client_leaves

CONTROL_PREFIX = "/_control"
GARBAGE_PAGE = b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"


class FaultMode(StrEnum):
    NONE = "none"
    ERROR500 = "error500"  # an internal server error
    REJECT400 = "reject400"  # the agency refuses the request as malformed
    SLOW = "slow"  # answers, but only after delay_seconds
    GARBAGE = "garbage"  # 200 OK with an HTML page instead of JSON
    DROP = "drop"  # closes the connection without a complete answer
    # The request is handled (a push opens its ticket), then the answer goes wrong: what an
    # agency whose system fails after acting looks like to the hub.
    CREATED_THEN_SLOW = "created_then_slow"  # handled, answered only after delay_seconds
    CREATED_THEN_500 = "created_then_500"  # handled, then an internal server error
    CREATED_THEN_GARBAGE = "created_then_garbage"  # handled, then 200 with an HTML page
    CREATED_THEN_DROP = "created_then_drop"  # handled, then the connection closes mid-answer
    CREATED_THEN_RESET = "created_then_reset"  # handled, then the connection is reset (RST)


@dataclass(frozen=True)
class Fault:
    mode: FaultMode = FaultMode.NONE
    count: int | None = None  # how many more requests it applies to; None = until switched off
    delay_seconds: float = 1.0
    method: str | None = None  # only requests of this HTTP method (e.g. POST, not GET polls)
    path: str | None = None  # only requests to this exact path (e.g. the push endpoint)

    def applies_to(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or self.path == path
        )


class FaultSwitch:
    """The fault in force, thread-safe: the control API writes it, every request takes from it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._fault = Fault()

    def set(
        self,
        mode: FaultMode | str,
        count: int | None = None,
        delay_seconds: float = 1.0,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        with self._lock:
            self._fault = Fault(
                FaultMode(mode), count, delay_seconds, method.upper() if method else None, path
            )

    def reset(self) -> None:
        self.set(FaultMode.NONE)

    def current(self) -> Fault:
        with self._lock:
            return self._fault

    def take(self, method: str = "GET", path: str = "/") -> Fault:
        """The fault a ``method`` request to ``path`` gets; uses up one of its count."""
        with self._lock:
            fault = self._fault
            if not fault.applies_to(method, path):
                return Fault()  # not for this kind of request, and not used up by it
            if fault.mode is FaultMode.NONE or fault.count is None:
                return fault
            left = fault.count - 1
            self._fault = replace(fault, count=left) if left > 0 else Fault()
            return fault


class FaultMiddleware:
    """Pure ASGI middleware, so it can also misbehave below HTTP (a dropped connection)."""

    def __init__(self, app: ASGIApp, faults: FaultSwitch) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        fault = self.faults.take(scope["method"], scope["path"])
        if fault.mode in AFTER_HANDLING:
            await _handle_then_fail(self.app, scope, receive, send, fault)
            return
        if fault.mode is FaultMode.SLOW:
            replay = await sleep_unless_client_leaves(receive, fault.delay_seconds)
            if replay is None:
                return
            receive = replay
        elif fault.mode is FaultMode.ERROR500:
            await _answer(send, 500, b'{"error": "internal server error"}', b"application/json")
            return
        elif fault.mode is FaultMode.REJECT400:
            await _answer(send, 400, b'{"error": "bad request"}', b"application/json")
            return
        elif fault.mode is FaultMode.GARBAGE:
            await _answer(send, 200, GARBAGE_PAGE, b"text/html")
            return
        elif fault.mode is FaultMode.DROP:
            # Headers promise a body that never comes; returning early makes uvicorn close the
            # socket, which is what a crashing proxy or a killed worker looks like to the hub.
            # The request is read first: closing a socket with unread bytes sends a reset
            # instead, and the hub would see a different error depending on timing.
            while (await receive()).get("more_body"):
                pass
            await send({"type": "http.response.start", "status": 200, "headers": []})
            return
        await self.app(scope, receive, send)


AFTER_HANDLING = frozenset(
    {
        FaultMode.CREATED_THEN_SLOW,
        FaultMode.CREATED_THEN_500,
        FaultMode.CREATED_THEN_GARBAGE,
        FaultMode.CREATED_THEN_DROP,
        FaultMode.CREATED_THEN_RESET,
    }
)


async def _handle_then_fail(
    app: ASGIApp, scope: Scope, receive: Receive, send: Send, fault: Fault
) -> None:
    """Let the app handle the request in full, keeping its answer, then answer as ``fault``."""
    kept: list[Message] = []

    async def keep(message: Message) -> None:
        kept.append(message)

    await app(scope, receive, keep)
    if fault.mode is FaultMode.CREATED_THEN_500:
        await _answer(send, 500, b'{"error": "internal server error"}', b"application/json")
    elif fault.mode is FaultMode.CREATED_THEN_GARBAGE:
        await _answer(send, 200, GARBAGE_PAGE, b"text/html")
    elif fault.mode is FaultMode.CREATED_THEN_DROP:
        await send({"type": "http.response.start", "status": 200, "headers": []})
    elif fault.mode is FaultMode.CREATED_THEN_RESET:
        await reset_connection(receive, send)
    else:  # slow: the real answer, too late for a hub with a shorter timeout
        if await sleep_unless_client_leaves(receive, fault.delay_seconds) is None:
            return
        for message in kept:
            await send(message)


async def _answer(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
