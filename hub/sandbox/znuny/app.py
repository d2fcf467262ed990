"""The Znuny sandbox as an ASGI app: SOAP at Znuny's own address, controls at ``/_control``.

``POST /otrs/nph-genericinterface.pl/Webservice/GenericTicketConnectorSOAP`` answers the
GenericTicketConnector operations as Znuny does; like Znuny it publishes no WSDL (the hub keeps
its own: ``config/wsdl/znuny-generic-ticket-connector.wsdl``). For tests and the demo:

- ``GET /_control`` — the faults set, and how many tickets the helpdesk holds;
- ``POST /_control`` — set a fault (``faults.py``); ``POST /_control/reset`` — forget everything;
- ``POST /_control/tickets/{id}/answer`` — ``{"state": "closed successful", "body": "…"}``: a
  clerk writes the answer (an agent article) and moves the ticket on;
- ``GET /_control/count?reference=R-…`` — the tickets opened for one of our references;
- ``POST /_control/sessions/expire`` — every session ends, as after Znuny's idle time.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from hub.sandbox.znuny import envelopes, operations
from hub.sandbox.znuny.faults import Faults, garbage_body
from hub.sandbox.znuny.helpdesk import (
    DEFAULT_DYNAMIC_FIELDS,
    DEFAULT_QUEUES,
    STATES,
    Helpdesk,
    Ticket,
    utc_now,
)

WEBSERVICE_PATH = "/otrs/nph-genericinterface.pl/Webservice/GenericTicketConnectorSOAP"
MAX_REQUEST_BYTES = 1024 * 1024
REFERENCE_FIELD = "SamadReference"  # the dynamic field the centre's agreement fills


@dataclass
class ZnunySandbox:
    users: dict[str, str] = field(default_factory=lambda: {"samad-111": "samad-secret"})
    clock: Callable[[], datetime] = utc_now
    zone: str = "Asia/Tehran"
    session_seconds: float = 7200.0
    queues: tuple[str, ...] = (*DEFAULT_QUEUES, "Samad::111")
    dynamic_fields: tuple[str, ...] = DEFAULT_DYNAMIC_FIELDS
    order: envelopes.Order = "alphabetical"  # "wsdl": a Znuny whose web service sets a Sort
    faults: Faults = field(default_factory=Faults)
    calls: Counter[str] = field(default_factory=Counter)  # operations answered, by name
    helpdesk: Helpdesk = field(init=False)

    def __post_init__(self) -> None:
        self.helpdesk = Helpdesk(
            users=self.users,
            clock=self.clock,
            zone=ZoneInfo(self.zone),
            session_seconds=self.session_seconds,
            queues=self.queues,
            dynamic_fields=self.dynamic_fields,
        )

    @staticmethod
    def endpoint(base_url: str) -> str:
        return base_url.rstrip("/") + WEBSERVICE_PATH

    def tickets_for(self, reference: str) -> list[Ticket]:
        return self.helpdesk.with_field(REFERENCE_FIELD, reference)

    def answer(self, ticket_id: int, state: str, body: str) -> None:
        self.helpdesk.answer(ticket_id, state, body)

    def expire_sessions(self) -> None:
        self.helpdesk.expire_sessions()

    def reset(self) -> None:
        self.faults.reset()
        self.helpdesk.reset()
        self.calls.clear()

    def state(self) -> dict[str, Any]:
        return {"faults": self.faults.as_dict(), "tickets": len(self.helpdesk.tickets)}

    def app(self) -> FastAPI:
        return create_app(self)


def _fault(message: str) -> Response:
    return Response(envelopes.fault(message), 500, media_type=envelopes.CONTENT_TYPE)


def _garbage(kind: str) -> Response:
    body, content_type = garbage_body(kind)
    return Response(body, 200, media_type=content_type)


def _soap_action_mismatch(request: Request, operation: str) -> str | None:
    action = request.headers.get("soapaction", "").strip("\"'")
    expected = (f"{envelopes.NAMESPACE}#{operation}", f"{envelopes.NAMESPACE}{operation}")
    if action and action not in expected:
        return f"SOAPAction '{action}' does not match expected result '{expected[0]}'"
    return None


async def _soap(sandbox: ZnunySandbox, request: Request) -> Response:
    body = await request.body()
    if len(body) > MAX_REQUEST_BYTES:
        return Response("Request Entity Too Large", 413, media_type="text/plain")
    try:
        envelope = envelopes.parse(body)
    except envelopes.EnvelopeError as exc:
        return _fault(f"Error deserializing message: {exc}")
    operation = envelope.operation_name
    if operation not in operations.OPERATIONS:
        return _fault(f"Could not determine Operation '{operation}' from request")
    if mismatch := _soap_action_mismatch(request, operation):
        return _fault(mismatch)
    fault = sandbox.faults.take(operation)
    if fault == "server_fault":
        return _fault("Error in the database: could not connect")
    if fault == "garbage":
        return _garbage(sandbox.faults.garbage)
    sandbox.calls[operation] += 1
    data = operations.run(sandbox.helpdesk, operation, envelopes.to_data(envelope.operation))
    answer = envelopes.serialize(f"{operation}Response", data, sandbox.order)
    if fault == "created_then_timeout":
        await asyncio.sleep(sandbox.faults.delay_seconds)
    if fault == "created_then_garbage":
        return _garbage(sandbox.faults.garbage)
    return Response(answer, 200, media_type=envelopes.CONTENT_TYPE)


def _add_controls(app: FastAPI, sandbox: ZnunySandbox) -> None:
    @app.get("/_control")
    async def show() -> dict[str, Any]:
        return sandbox.state()

    @app.post("/_control")
    async def set_fault(request: Request) -> Response:
        try:
            sandbox.faults.update(await request.json())
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse(sandbox.state())

    @app.post("/_control/reset")
    async def reset() -> dict[str, Any]:
        sandbox.reset()
        return sandbox.state()

    @app.post("/_control/tickets/{ticket_id}/answer")
    async def answer(ticket_id: int, request: Request) -> Response:
        given = await request.json()
        if ticket_id not in sandbox.helpdesk.tickets or given.get("state") not in STATES:
            return JSONResponse({"error": "no such ticket, or no such state"}, status_code=422)
        sandbox.answer(ticket_id, given["state"], str(given.get("body", "")))
        return JSONResponse({"ticket_id": ticket_id, "state": given["state"]})

    @app.get("/_control/count")
    async def count(reference: str) -> dict[str, Any]:
        tickets = sandbox.tickets_for(reference)
        return {"reference": reference, "tickets": len(tickets),
                "ticket_ids": [t.ticket_id for t in tickets]}  # fmt: skip

    @app.post("/_control/sessions/expire")
    async def expire() -> dict[str, Any]:
        sandbox.expire_sessions()
        return sandbox.state()


def create_app(sandbox: ZnunySandbox) -> FastAPI:
    app = FastAPI(title="Znuny helpdesk — GenericTicketConnectorSOAP (sandbox)")

    @app.post(WEBSERVICE_PATH)
    async def soap(request: Request) -> Response:
        return await _soap(sandbox, request)

    @app.get(WEBSERVICE_PATH)
    async def no_wsdl() -> Response:  # Znuny serves no WSDL; a GET has no request to read
        return Response("Length Required", 411, media_type="text/plain")

    _add_controls(app, sandbox)
    return app
