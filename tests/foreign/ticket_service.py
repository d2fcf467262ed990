"""A power company's SOAP 1.1 TicketService: not the project's SOAP sandbox, whose registry
de-duplicates by RequestKey and misbehaves only before it acts.

This one takes HTTP basic auth, answers document/literal with one element (``CreateTicket`` →
``TicketId``), opens a ticket for every call, and can find tickets by the ``ExternalRef`` we
sent. ``service.faults`` makes the next CreateTicket open its ticket and then answer too late,
with a Server fault or with an HTML page — or answer 503 without opening anything.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from fastapi import FastAPI, Request, Response
from lxml import etree

from tests.foreign.gas_crm import Fault

WSDL = Path(__file__).with_name("ticket_service.wsdl")
PUBLISHED = "http://127.0.0.1:8799/TicketService"
TNS = "http://tavanir.example/TicketService"
ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?><s:Envelope '
    'xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{}</s:Body></s:Envelope>'
)
STATES = ("NEW", "ASSIGNED", "ON_SITE", "CLOSED")
TEST_TICKET = "TK-TEST-0001"


@dataclass
class Ticket:
    number: str
    fields: dict[str, str]
    opened_at: float


@dataclass
class TicketService:
    username: str
    password: str
    step_seconds: float = 0.5
    timeout_delay_seconds: float = 3.0
    faults: deque[Fault] = field(default_factory=deque)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.tickets[TEST_TICKET] = Ticket(TEST_TICKET, {}, time.monotonic())

    def open(self, fields: dict[str, str]) -> Ticket:
        with self._lock:
            number = f"TK-{next(self._numbers):06d}"
            ticket = self.tickets[number] = Ticket(number, fields, time.monotonic())
        return ticket

    def for_reference(self, reference: str) -> list[str]:
        return [
            t.number
            for t in list(self.tickets.values())
            if t.fields.get("ExternalRef") == reference
        ]

    def state(self, ticket: Ticket) -> str:
        steps = int((time.monotonic() - ticket.opened_at) / self.step_seconds)
        return STATES[min(steps, len(STATES) - 1)]

    def app(self) -> FastAPI:
        return create_app(self)


def _answer(body: str, status: int = 200) -> Response:
    return Response(ENVELOPE.format(body), status, media_type="text/xml; charset=utf-8")


def _fault(code: str, message: str) -> Response:
    return _answer(
        f"<s:Fault><faultcode>s:{code}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</s:Fault>",
        500,
    )


def _authorised(service: TicketService, request: Request) -> bool:
    expected = base64.b64encode(f"{service.username}:{service.password}".encode()).decode()
    return request.headers.get("authorization", "") == f"Basic {expected}"


def _call(body: bytes) -> tuple[str, dict[str, str]]:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    envelope = etree.fromstring(body, parser)
    operation = envelope.find("{http://schemas.xmlsoap.org/soap/envelope/}Body")[0]
    fields = {etree.QName(child).localname: child.text or "" for child in operation}
    return etree.QName(operation).localname, fields


def _ticket_element(service: TicketService, ticket: Ticket) -> str:
    answer = (
        "<Answer>خط تعمیر شد و برق وصل است</Answer>" if service.state(ticket) == "CLOSED" else ""
    )
    return (
        f"<GetTicketResponse xmlns='{TNS}'><Ticket><TicketId>{ticket.number}</TicketId>"
        f"<State>{service.state(ticket)}</State>{answer}</Ticket></GetTicketResponse>"
    )


async def _create(service: TicketService, fields: dict[str, str]) -> Response:
    fault = service.faults.popleft() if service.faults else None
    if fault is Fault.UNAVAILABLE:
        return Response("Service Unavailable", 503, media_type="text/plain")
    ticket = service.open(fields)
    if fault is Fault.CREATED_THEN_TIMEOUT:
        await asyncio.sleep(service.timeout_delay_seconds)
    elif fault is Fault.CREATED_THEN_500:
        return _fault("Server", "System.NullReferenceException at TicketWriter.Notify")
    elif fault is Fault.CREATED_THEN_GARBAGE:
        return Response("<html><body>Ticket saved</body></html>", 200, media_type="text/html")
    return _answer(
        f"<CreateTicketResponse xmlns='{TNS}'><TicketId>{ticket.number}</TicketId>"
        "</CreateTicketResponse>"
    )


def create_app(service: TicketService) -> FastAPI:
    app = FastAPI(title="TicketService (a foreign SOAP agency)")

    @app.get("/TicketService")
    async def wsdl(request: Request) -> Response:
        address = str(request.url.replace(query=""))
        text = WSDL.read_text(encoding="utf-8").replace(PUBLISHED, address)
        return Response(text, media_type="text/xml")

    @app.post("/TicketService")
    async def soap(request: Request) -> Response:
        if not _authorised(service, request):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="tickets"'})
        operation, fields = _call(await request.body())
        if operation == "CreateTicket":
            return await _create(service, fields)
        if operation == "GetTicket":
            ticket = service.tickets.get(fields.get("TicketId", ""))
            if ticket is None:
                return _fault("Client", "ticket not found")
            return _answer(_ticket_element(service, ticket))
        if operation == "FindTickets":
            ids = "".join(
                f"<TicketId>{n}</TicketId>" for n in service.for_reference(fields["ExternalRef"])
            )
            return _answer(f"<FindTicketsResponse xmlns='{TNS}'>{ids}</FindTicketsResponse>")
        return _fault("Client", f"unknown operation {operation}")

    return app
