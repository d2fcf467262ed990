"""The Open311 sandbox's service requests, kept in memory behind one lock.

A request is ``open`` when filed and ``closed`` when the city's crew says so; between, the
mySociety extended statuses (``IN_PROGRESS``, ``FIXED`` …) arrive as updates. A test moves a
request with :meth:`Open311Store.move`; with ``close_after_seconds`` every request also moves
itself on the store's clock (acknowledged, in progress, closed with notes), as the demo needs.
A request filed with a value of the unique attribute it has seen is refused as already existing,
naming the request that holds it (as city back-ends that keep an external reference unique do).
"""

from __future__ import annotations

import itertools
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

Clock = Callable[[], float]
CLOSING_NOTES = "اکیپ راهداری در محل حاضر شد و چاله با آسفالت گرم ترمیم شد."
IN_PROGRESS_NOTES = "درخواست به واحد راهداری منطقه ارجاع شد."


@dataclass
class Update:
    update_id: str
    status: str  # the extended status (OPEN, IN_PROGRESS, FIXED, CLOSED …)
    description: str
    at: datetime


@dataclass
class ServiceRequest:
    service_request_id: str
    token: str
    service_code: str
    form: dict[str, list[str]]
    filed_at: float  # on the store's clock
    requested: datetime
    status: str = "open"
    status_notes: str = ""
    updated: datetime = field(default_factory=lambda: datetime.now(UTC))
    updates: list[Update] = field(default_factory=list)

    def value(self, name: str) -> str:
        return (self.form.get(name) or [""])[0]


class AlreadyExists(Exception):
    def __init__(self, request: ServiceRequest) -> None:
        super().__init__(request.service_request_id)
        self.request = request


class Open311Store:
    def __init__(
        self,
        clock: Clock,
        unique_attribute: str | None,
        token_ready_after_seconds: float,
        close_after_seconds: float | None,
    ) -> None:
        self._clock = clock
        self._unique = unique_attribute
        self._token_delay = token_ready_after_seconds
        self._close_after = close_after_seconds
        self._requests: dict[str, ServiceRequest] = {}
        self._by_token: dict[str, ServiceRequest] = {}
        self._by_unique: dict[str, ServiceRequest] = {}
        self._numbers = itertools.count(1001)
        self._updates = itertools.count(1)
        self._lock = threading.Lock()
        self.posts = 0

    def file(self, service_code: str, form: dict[str, list[str]]) -> ServiceRequest:
        """A new request; raises ``AlreadyExists`` for a unique attribute value seen before."""
        key = (form.get(f"attribute[{self._unique}]") or [""])[0] if self._unique else ""
        with self._lock:
            self.posts += 1
            if key and key in self._by_unique:
                raise AlreadyExists(self._by_unique[key])
            now = datetime.now(UTC)
            request = ServiceRequest(
                service_request_id=str(next(self._numbers)),
                token=secrets.token_hex(8),
                service_code=service_code,
                form=form,
                filed_at=self._clock(),
                requested=now,
                updated=now,
            )
            self._requests[request.service_request_id] = request
            self._by_token[request.token] = request
            if key:
                self._by_unique[key] = request
            return request

    def get(self, service_request_id: str) -> ServiceRequest | None:
        with self._lock:
            request = self._requests.get(service_request_id)
            if request is not None:
                self._move_by_clock(request)
            return request

    def all(self) -> list[ServiceRequest]:
        with self._lock:
            for request in self._requests.values():
                self._move_by_clock(request)
            return list(self._requests.values())

    def id_of_token(self, token: str) -> tuple[bool, str | None]:
        """(known token, its service_request_id once the server has made the request)."""
        with self._lock:
            request = self._by_token.get(token)
            if request is None:
                return False, None
            ready = self._clock() - request.filed_at >= self._token_delay
            return True, request.service_request_id if ready else None

    def move(self, service_request_id: str, status: str, notes: str = "") -> ServiceRequest:
        """What the city's crew does: ``status`` an extended one (IN_PROGRESS, FIXED, CLOSED …)
        or the spec's own ``open``/``closed``; the request is closed by any but OPEN/IN_PROGRESS
        and their kin."""
        with self._lock:
            request = self._requests[service_request_id]
            self._move(request, status, notes)
            return request

    def _move(self, request: ServiceRequest, status: str, notes: str) -> None:
        open_statuses = {"open", "OPEN", "IN_PROGRESS", "ACTION_SCHEDULED", "INVESTIGATING"}
        now = max(datetime.now(UTC), request.updated + timedelta(milliseconds=1))
        request.status = "open" if status in open_statuses else "closed"
        request.status_notes = notes
        request.updated = now
        extended = status.upper()
        update = Update(str(next(self._updates)), extended, notes, now)
        request.updates.append(update)

    def _move_by_clock(self, request: ServiceRequest) -> None:
        if self._close_after is None or request.status == "closed":
            return
        elapsed = self._clock() - request.filed_at
        if elapsed >= self._close_after / 2 and not request.updates:
            self._move(request, "IN_PROGRESS", IN_PROGRESS_NOTES)
        if elapsed >= self._close_after:
            self._move(request, "FIXED", CLOSING_NOTES)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"requests": len(self._requests), "posts": self.posts}
