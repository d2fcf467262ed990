"""The SOAP sandbox as an ASGI app: WSDL at ``GET /?wsdl``, SOAP at ``POST /``, controls at
``/_control``.

``SoapSandbox`` is the handle a test or the demo keeps: its ``registry`` holds the cases (and the
duplicate count), its ``controls`` make it misbehave — before it acts, or after it registered a
case — ``users`` turns on WS-Security checking, ``basic_auth`` HTTP basic authentication and
``honour_request_key=False`` makes a registry that opens a case for every registration.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from hub.sandbox.lost_answers import reset_connection, sleep_unless_client_leaves
from hub.sandbox.soap import envelopes
from hub.sandbox.soap.misbehaviour import AfterKind, Controls, garbage_body
from hub.sandbox.soap.operations import OPERATIONS, PHONE_FIELD, BadRequest
from hub.sandbox.soap.registry import CaseRegistry, utc_now

WSDL_FILE = Path(__file__).with_name("case_registry.wsdl")
PUBLISHED_ADDRESS = "http://127.0.0.1:8732/"
MAX_REQUEST_BYTES = 1024 * 1024


@dataclass
class SoapSandbox:
    step_seconds: float = 60.0
    clock: Callable[[], datetime] = utc_now
    users: dict[str, str] | None = None  # WS-Security users; None = no token required
    basic_auth: tuple[str, str] | None = None
    honour_request_key: bool = True
    controls: Controls = field(default_factory=Controls)
    calls: Counter[str] = field(default_factory=Counter)  # SOAP operations answered, by name
    last_headers: dict[str, str] = field(default_factory=dict)  # of the last SOAP request
    registry: CaseRegistry = field(init=False)

    def __post_init__(self) -> None:
        self.registry = CaseRegistry(
            step_seconds=self.step_seconds,
            clock=self.clock,
            honour_request_key=self.honour_request_key,
        )

    def wsdl(self, address: str) -> str:
        text = WSDL_FILE.read_text(encoding="utf-8").replace(PUBLISHED_ADDRESS, address)
        phone = PHONE_FIELD[self.controls.wsdl_variant]
        return text.replace('<xsd:element name="Mobile"', f'<xsd:element name="{phone}"')

    def stats(self) -> dict[str, int]:
        return {
            "cases": len(self.registry.cases),
            "replays": self.registry.replays,
            "duplicates": self.registry.duplicates,
        }

    def reset(self) -> None:
        """Forget every case, call and misbehaviour (users and auth settings stay)."""
        self.controls.reset()
        self.registry.reset()
        self.calls.clear()
        self.last_headers = {}

    def app(self) -> FastAPI:
        return create_app(self)


def _soap_response(soap_ns: str, body: bytes, status_code: int = 200) -> Response:
    return Response(body, status_code, media_type=envelopes.CONTENT_TYPES[soap_ns])


def _fault(soap_ns: str, code: str, message: str) -> Response:
    return _soap_response(soap_ns, envelopes.fault(soap_ns, code, message), 500)


def _basic_auth_ok(request: Request, expected: tuple[str, str]) -> bool:
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        given = base64.b64decode(encoded, validate=True)
    except binascii.Error:
        return False
    return hmac.compare_digest(given, ":".join(expected).encode())


async def _misbehave(sandbox: SoapSandbox, soap_ns: str) -> Response | None:
    controls = sandbox.controls
    if not controls.consume():
        return None
    if controls.delay_seconds:
        await asyncio.sleep(controls.delay_seconds)
    if controls.garbage:
        body, content_type = garbage_body(controls.garbage)
        return Response(body, 200, media_type=content_type)
    if controls.fault == "client":
        return _fault(soap_ns, "Client", "درخواست نامعتبر است: کد اشتراک نامعتبر")
    if controls.fault == "server":
        return _fault(soap_ns, "Server", "خطای داخلی سامانه: پایگاه داده در دسترس نیست")
    return None


def _handle(sandbox: SoapSandbox, body: bytes) -> tuple[str | None, Response]:
    """The operation that ran (None: none did) and its answer."""
    try:
        envelope = envelopes.parse(body)
    except envelopes.EnvelopeError as exc:
        return None, _fault(envelopes.SOAP11, "Client", str(exc))
    soap_ns = envelope.soap_ns
    if sandbox.users is not None:
        try:
            envelopes.check_username_token(envelope.header, sandbox.users)
        except envelopes.AuthenticationFailed as exc:
            failed = _fault(soap_ns, "wsse:FailedAuthentication", f"احراز هویت ناموفق: {exc}")
            return None, failed
    operation = OPERATIONS.get(envelope.operation_name)
    if operation is None:
        return None, _fault(soap_ns, "Client", f"unknown operation {envelope.operation_name}")
    sandbox.calls[envelope.operation_name] += 1
    try:
        payload = operation(sandbox.registry, envelope.operation, sandbox.controls.wsdl_variant)
    except BadRequest as exc:
        return None, _fault(soap_ns, "Client", str(exc))
    answer = _soap_response(soap_ns, envelopes.serialize(soap_ns, payload))
    return envelope.operation_name, answer


class _ResetAnswer(Response):
    """Not an answer: the connection is reset instead."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await reset_connection(receive, send)


async def _lose(
    kind: AfterKind, answer: Response, soap_ns: str, request: Request, hold_seconds: float
) -> Response:
    """The answer to a registration that was made, lost as ``kind`` says."""
    if kind == "timeout":  # the real answer, too late for a caller with a shorter timeout
        await sleep_unless_client_leaves(request.receive, hold_seconds)
        return answer
    if kind == "server_error":
        return _fault(soap_ns, "Server", "خطای داخلی سامانه پس از ثبت پرونده: ارسال پاسخ ناموفق")
    if kind == "reset":
        return _ResetAnswer()
    body, content_type = garbage_body("html")
    return Response(body, 200, media_type=content_type)


def create_app(sandbox: SoapSandbox) -> FastAPI:
    app = FastAPI(title="Golestan power distribution — case registry (sandbox)")

    @app.get("/")
    async def wsdl(request: Request) -> Response:
        if "wsdl" not in {key.lower() for key in request.query_params}:
            return Response("سامانه ثبت پرونده — WSDL: ?wsdl\n", media_type="text/plain")
        return Response(sandbox.wsdl(str(request.base_url)), media_type="text/xml")

    @app.post("/")
    async def soap(request: Request) -> Response:
        body = await request.body()
        sandbox.last_headers = dict(request.headers)
        soap_ns = (
            envelopes.SOAP12
            if "soap+xml" in request.headers.get("content-type", "")
            else (envelopes.SOAP11)
        )
        if len(body) > MAX_REQUEST_BYTES:
            return _fault(soap_ns, "Client", "the request is too large")
        if sandbox.basic_auth and not _basic_auth_ok(request, sandbox.basic_auth):
            return Response(status_code=401, headers={"WWW-Authenticate": 'Basic realm="brq"'})
        misbehaviour = await _misbehave(sandbox, soap_ns)
        if misbehaviour is not None:
            return misbehaviour
        operation, answer = _handle(sandbox, body)
        if operation == "RegisterCase":
            lost = sandbox.controls.take_after_registering()
            if lost is not None:
                hold = sandbox.controls.hold_seconds
                return await _lose(lost, answer, soap_ns, request, hold)
        return answer

    @app.get("/_control")
    async def show_controls() -> dict[str, Any]:
        return {"controls": sandbox.controls.as_dict(), "stats": sandbox.stats()}

    @app.post("/_control")
    async def set_controls(request: Request) -> Response:
        try:
            sandbox.controls.update(await request.json())
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=422)
        return JSONResponse({"controls": sandbox.controls.as_dict(), "stats": sandbox.stats()})

    @app.post("/_control/reset")
    async def reset() -> dict[str, Any]:
        sandbox.reset()
        return {"controls": sandbox.controls.as_dict(), "stats": sandbox.stats()}

    return app
