"""The REST sandbox: a water company's own ticket system ("CRM"), served over real HTTP.

It behaves the way agency software does, so the REST connector can be tested and demonstrated
against something real::

    POST /api/v1/tickets               open a ticket (Idempotency-Key honoured: 201, then 200)
    GET  /api/v1/tickets/{id}          one ticket, its status as of now and its events
    GET  /api/v1/tickets?ref=…         the tickets opened with those fields (a look-up)
    POST /api/v1/tickets/batch-status  {"ids": [...]} → {"items": [{"ticket": ...}, ...]}
    POST /api/v1/tickets/{id}/reminders  a reminder from the hub (Idempotency-Key: 201, then 200)
    GET  /api/v1/tickets/{id}/reminders  the reminders filed on a ticket
    GET  /api/v1/health                reachable, and these credentials are good
    POST /_control/faults              misbehave on purpose (see ``rest_faults``)
    GET  /_control/stats               tickets, POSTs, idempotent replays, duplicates (tickets
                                       opened for a referral that already had one: must be 0)

Run standalone: ``python -m hub.sandbox.rest --port 8731 --step-seconds 5``.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Annotated, Any, Literal

import uvicorn
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from hub.sandbox.arrivals import Arrivals, RecordArrivals
from hub.sandbox.rest_faults import FaultMiddleware, FaultMode, FaultSwitch
from hub.sandbox.rest_reminders import ReminderBook
from hub.sandbox.rest_tickets import Clock, TicketStore
from hub.sandbox.server import BackgroundServer

REQUIRED_FIELDS = ("title", "description")


class AuthMode(StrEnum):
    NONE = "none"
    BEARER = "bearer"
    BASIC = "basic"
    API_KEY = "api_key"


@dataclass(frozen=True)
class RestSandboxSettings:
    auth: AuthMode = AuthMode.NONE
    token: str = "sandbox-token"  # bearer token, or the API key's value
    username: str = "samad"
    password: str = "sandbox-password"
    api_key_header: str = "X-API-Key"
    idempotency_header: str = "Idempotency-Key"
    honour_idempotency: bool = True  # False: every push opens a ticket, as many CRMs do
    # A body field the CRM keeps unique, as some do with a "request number": a push repeating a
    # value it has seen gets that ticket back (the agreement's ``delivery.idempotency: field``).
    unique_field: str | None = None
    step_seconds: float = 5.0  # a ticket moves one status per step
    clock: Clock = field(default=time.monotonic)
    ticket_prefix: str = "WTR"
    reference_field: str = "ref"  # where the agreement maps the referral's reference

    def __post_init__(self) -> None:
        if self.step_seconds <= 0:
            raise ValueError("step_seconds must be above zero")


class RestSandboxApp(FastAPI):
    """The FastAPI app, with its store and fault switch reachable from Python."""

    tickets: TicketStore
    faults: FaultSwitch
    reminders: ReminderBook
    arrivals: Arrivals


class FaultRequest(BaseModel):
    mode: FaultMode
    count: Annotated[int | None, Field(ge=1)] = None
    delay_seconds: Annotated[float, Field(ge=0)] = 1.0
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None
    path: Annotated[str | None, Field(pattern="^/")] = None


class BatchStatusRequest(BaseModel):
    ids: list[str]


def create_app(settings: RestSandboxSettings | None = None) -> RestSandboxApp:
    settings = settings or RestSandboxSettings()
    app = RestSandboxApp(title="Golestan Water CRM (sandbox)", version="1.0")
    app.tickets = TicketStore(
        settings.step_seconds, settings.clock, settings.ticket_prefix, settings.reference_field
    )
    app.faults = FaultSwitch()
    app.reminders = ReminderBook()
    app.arrivals = Arrivals()
    app.add_middleware(FaultMiddleware, faults=app.faults)
    app.add_middleware(RecordArrivals, arrivals=app.arrivals)  # outermost: before any fault
    authorised = [Depends(_auth_dependency(settings))]

    @app.post("/api/v1/tickets", dependencies=authorised)
    async def open_ticket(request: Request) -> JSONResponse:
        app.tickets.count_post()
        body = await _ticket_body(request)
        idempotency_key = request.headers.get(settings.idempotency_header)
        if not settings.honour_idempotency:
            idempotency_key = None
        if settings.unique_field and body.get(settings.unique_field):
            idempotency_key = f"{settings.unique_field}={body[settings.unique_field]}"
        ticket, created = app.tickets.open(body, idempotency_key)
        payload = {"ticket": app.tickets.describe(ticket)}
        return JSONResponse(payload, status_code=201 if created else 200)

    @app.get("/api/v1/tickets", dependencies=authorised)
    async def search_tickets(request: Request) -> dict[str, Any]:
        """Tickets whose fields equal every query parameter (``?ref=…``), oldest first."""
        wanted = dict(request.query_params)
        found = app.tickets.matching(wanted) if wanted else []
        return {"items": [{"ticket": app.tickets.describe(t)} for t in found]}

    @app.get("/api/v1/tickets/{ticket_id}", dependencies=authorised)
    async def read_ticket(ticket_id: str) -> dict[str, Any]:
        return {"ticket": _describe(app.tickets, [ticket_id])[0]}

    @app.post("/api/v1/tickets/batch-status", dependencies=authorised)
    async def batch_status(query: BatchStatusRequest) -> dict[str, Any]:
        return {"items": [{"ticket": t} for t in _describe(app.tickets, query.ids)]}

    @app.post("/api/v1/tickets/{ticket_id}/reminders", dependencies=authorised)
    async def file_reminder(ticket_id: str, request: Request) -> JSONResponse:
        if (status := app.reminders.refusal(ticket_id)) is not None:
            return JSONResponse({"error": "the reminder service is down"}, status_code=status)
        _describe(app.tickets, [ticket_id])  # 404 for a ticket it never opened
        body = await _json_object(request)
        key = request.headers.get(settings.idempotency_header)
        reminder, created = app.reminders.file(ticket_id, body, key)
        return JSONResponse(asdict(reminder), status_code=201 if created else 200)

    @app.get("/api/v1/tickets/{ticket_id}/reminders", dependencies=authorised)
    async def list_reminders(ticket_id: str) -> dict[str, Any]:
        _describe(app.tickets, [ticket_id])
        return {"items": [asdict(r) for r in app.reminders.of(ticket_id)]}

    @app.get("/api/v1/health", dependencies=authorised)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/_control/faults")
    async def set_fault(fault: FaultRequest) -> dict[str, Any]:
        app.faults.set(fault.mode, fault.count, fault.delay_seconds, fault.method, fault.path)
        return asdict(app.faults.current())

    @app.get("/_control/stats")
    async def stats() -> dict[str, int]:
        return asdict(app.tickets.stats())

    return app


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body())
    except ValueError:
        raise HTTPException(422, {"error": "the body is not JSON"}) from None
    if not isinstance(body, dict):
        raise HTTPException(422, {"error": "the body must be a JSON object"})
    return body


async def _ticket_body(request: Request) -> dict[str, Any]:
    body = await _json_object(request)
    missing = [name for name in REQUIRED_FIELDS if not str(body.get(name) or "").strip()]
    if missing:
        raise HTTPException(422, {"error": "required fields are missing", "fields": missing})
    return body


def _describe(store: TicketStore, ids: list[str]) -> list[dict[str, Any]]:
    tickets = [(ticket_id, store.get(ticket_id)) for ticket_id in ids]
    unknown = [ticket_id for ticket_id, ticket in tickets if ticket is None]
    if unknown:
        raise HTTPException(404, {"error": "no such ticket", "ids": unknown})
    return [store.describe(ticket) for _, ticket in tickets if ticket is not None]


def _auth_dependency(settings: RestSandboxSettings) -> Any:
    async def check(request: Request) -> None:
        if not _credentials_ok(settings, request):
            raise HTTPException(
                401, {"error": "missing or wrong credentials"}, {"WWW-Authenticate": settings.auth}
            )

    return check


def _credentials_ok(settings: RestSandboxSettings, request: Request) -> bool:
    if settings.auth is AuthMode.NONE:
        return True
    if settings.auth is AuthMode.API_KEY:
        return _same(request.headers.get(settings.api_key_header, ""), settings.token)
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if settings.auth is AuthMode.BEARER:
        return scheme.lower() == "bearer" and _same(value, settings.token)
    try:
        user, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return (
        scheme.lower() == "basic"
        and _same(user, settings.username)
        and _same(password, settings.password)
    )


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


@contextmanager
def running_rest_sandbox(
    settings: RestSandboxSettings | None = None, port: int | None = None
) -> Iterator[tuple[RestSandboxApp, BackgroundServer]]:
    """Serve a sandbox on loopback for the length of a ``with`` block (tests, demo)."""
    app = create_app(settings)
    with BackgroundServer(app, port=port) as server:
        yield app, server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the REST agency sandbox (water CRM).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--step-seconds", type=float, default=5.0)
    parser.add_argument("--auth", choices=[mode.value for mode in AuthMode], default="none")
    parser.add_argument("--token", default=RestSandboxSettings.token)
    args = parser.parse_args(argv)
    settings = RestSandboxSettings(
        auth=AuthMode(args.auth), token=args.token, step_seconds=args.step_seconds
    )
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
