"""The Open311 sandbox: a roads administration's GeoReport v2 server, served over real HTTP.

It follows the spec (https://wiki.open311.org/GeoReport_v2), in JSON and in XML by URL suffix,
so the Open311 connector is tested against a server, not against itself::

    GET  /open311/v2/discovery.{fmt}             where the endpoint is, which formats
    GET  /open311/v2/services.{fmt}              the services (service_code, metadata …)
    GET  /open311/v2/services/{code}.{fmt}       a service definition with its attributes
    POST /open311/v2/requests.{fmt}              file a request (form-encoded, api_key): an id,
                                                 or a token (``answer_with="token"``)
    GET  /open311/v2/tokens/{token}.{fmt}        the token's service_request_id, once made
    GET  /open311/v2/requests.{fmt}              service_request_id=a,b,c, or service_code,
                                                 status, start_date, end_date (last 90 days)
    GET  /open311/v2/requests/{id}.{fmt}         one request
    GET  /open311/v2/servicerequestupdates.{fmt} mySociety's updates (start_date, end_date)

Errors are the spec's ``errors`` document: 400 a request it will not take, 403 a wrong api_key,
404 nothing there. Tests move a request with ``app.store.move(id, "FIXED", notes)`` and make it
misbehave with ``app.faults`` (``fail_next``, ``stall_after_filing``).

Run standalone: ``python -m hub.sandbox.open311 --port 8734``.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

from hub.sandbox.open311_documents import (
    FORMATS,
    answer,
    errors,
    request_document,
    update_document,
)
from hub.sandbox.open311_services import ROADS_SERVICES, SandboxService
from hub.sandbox.open311_store import AlreadyExists, Clock, Open311Store
from hub.sandbox.server import BackgroundServer

PREFIX = "/open311/v2"
DEFAULT_WINDOW = timedelta(days=90)
LIMIT = 1000
INVALID_KEY = "Invalid api_key received -- can't proceed"


@dataclass(frozen=True)
class Open311SandboxSettings:
    api_key: str = "sandbox-open311-key"
    jurisdiction_id: str = "rahdari.golestan.example"
    agency_responsible: str = "اداره کل راهداری و حمل و نقل جاده‌ای استان گلستان"
    answer_with: Literal["id", "token"] = "id"
    token_ready_after_seconds: float = 0.0  # a token gets its id this long after the POST
    unique_attribute: str | None = "samad_reference"  # a second POST with it: already exists
    close_after_seconds: float | None = None  # None: requests move only when a test moves them
    services: tuple[SandboxService, ...] = ROADS_SERVICES
    clock: Clock = field(default=time.monotonic)


class Faults:
    """Misbehaviour on purpose, for the next POSTs (or every call)."""

    def __init__(self) -> None:
        self.fail_status: int | None = None
        self.fail_count = 0
        self.stall_seconds = 0.0
        self.stall_count = 0

    def fail_next(self, status: int = 500, count: int = 1) -> None:
        """The next ``count`` calls answer ``status`` with an errors document, doing nothing."""
        self.fail_status, self.fail_count = status, count

    def stall_after_filing(self, seconds: float, count: int = 1) -> None:
        """The next ``count`` POSTs file the request, then wait ``seconds`` before answering."""
        self.stall_seconds, self.stall_count = seconds, count

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]

    def failing(self) -> int | None:
        if self.fail_status is None or self.fail_count <= 0:
            return None
        self.fail_count -= 1
        return self.fail_status

    def stall(self) -> float:
        if self.stall_count <= 0:
            return 0.0
        self.stall_count -= 1
        return self.stall_seconds


class Open311SandboxApp(FastAPI):
    store: Open311Store
    faults: Faults
    sandbox: Open311SandboxSettings


def create_app(settings: Open311SandboxSettings | None = None) -> Open311SandboxApp:
    settings = settings or Open311SandboxSettings()
    app = Open311SandboxApp(title="Golestan roads administration Open311 (sandbox)")
    app.sandbox = settings
    app.faults = Faults()
    app.store = Open311Store(
        settings.clock,
        settings.unique_attribute,
        settings.token_ready_after_seconds,
        settings.close_after_seconds,
    )
    services = {service.code: service for service in settings.services}

    @app.middleware("http")
    async def guard(request: Request, call_next: Any) -> Response:
        fmt = request.url.path.rsplit(".", 1)[-1] if "." in request.url.path else "xml"
        if (status := app.faults.failing()) is not None:
            return errors(fmt, status, "the roads administration's system is down")
        given = request.query_params.get("jurisdiction_id")
        if given and given != settings.jurisdiction_id:
            return errors(fmt, 404, f"jurisdiction_id {given!r} is not served here")
        key = request.query_params.get("api_key")
        if key is not None and not _same(key, settings.api_key):
            return errors(fmt, 403, f"{INVALID_KEY}.")
        response: Response = await call_next(request)
        return response

    @app.get(PREFIX + "/discovery.{fmt}")
    async def discovery(fmt: str, request: Request) -> Response:
        if fmt not in FORMATS:
            return errors("xml", 400, f"format {fmt!r} is not offered: json or xml")
        endpoint = {
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": str(request.base_url).rstrip("/") + PREFIX,
            "changeset": "2026-01-01T00:00:00Z",
            "type": "production",
            "formats": ["text/xml", "application/json"],
        }
        document = {
            "changeset": "2026-01-01T00:00:00Z",
            "contact": "samad@rahdari.golestan.example",
            "key_service": "Ask the roads administration's IT desk for an api_key.",
            "endpoints": [endpoint],
        }
        return answer(fmt, "discovery", document)

    @app.get(PREFIX + "/services.{fmt}")
    async def list_services(fmt: str) -> Response:
        if fmt not in FORMATS:
            return errors("xml", 400, f"format {fmt!r} is not offered: json or xml")
        return answer(fmt, "services", [s.listing() for s in settings.services])

    @app.get(PREFIX + "/services/{code}.{fmt}")
    async def service_definition(code: str, fmt: str) -> Response:
        service = services.get(code)
        if service is None or not service.attributes:
            return errors(fmt, 404, f"service_code {code!r} has no service definition")
        return answer(fmt, "service_definition", service.definition())

    @app.post(PREFIX + "/requests.{fmt}")
    async def file_request(fmt: str, request: Request) -> Response:
        if fmt not in FORMATS:
            return errors("xml", 400, f"format {fmt!r} is not offered: json or xml")
        form = await request.form()
        values: dict[str, list[str]] = {}
        for name, value in form.multi_items():
            values.setdefault(name, []).append(str(value))
        first = {name: items[0] for name, items in values.items()}
        if not _same(first.get("api_key", ""), settings.api_key):
            return errors(
                fmt, 403, "Invalid api_key received -- can't proceed with create_request."
            )
        if (given := first.get("jurisdiction_id")) and given != settings.jurisdiction_id:
            return errors(fmt, 404, f"jurisdiction_id {given!r} is not served here")
        code = first.get("service_code", "")
        problems = _problems(services.get(code), code, first)
        if problems:
            return errors(fmt, 400, *problems)
        try:
            filed = app.store.file(code, values)
        except AlreadyExists as exc:
            return errors(
                fmt,
                400,
                f"A service request already exists for attribute[{settings.unique_attribute}]: "
                f"service_request_id {exc.request.service_request_id}",
            )
        if stall := app.faults.stall():
            await asyncio.sleep(stall)
        if settings.answer_with == "token":
            document = [{"token": filed.token, "service_notice": "", "account_id": None}]
        else:
            document = [
                {
                    "service_request_id": filed.service_request_id,
                    "service_notice": "",
                    "account_id": None,
                }
            ]
        return answer(fmt, "service_requests", document)

    @app.get(PREFIX + "/tokens/{token}.{fmt}")
    async def token(token: str, fmt: str) -> Response:
        known, service_request_id = app.store.id_of_token(token)
        if not known:
            return errors(fmt, 404, f"token {token!r} not found")
        document = [{"service_request_id": service_request_id, "token": token}]
        return answer(fmt, "service_requests", document)

    @app.get(PREFIX + "/requests.{fmt}")
    async def find_requests(fmt: str, request: Request) -> Response:
        if fmt not in FORMATS:
            return errors("xml", 400, f"format {fmt!r} is not offered: json or xml")
        query = request.query_params
        try:
            found = _filtered(app.store.all(), query)
        except ValueError as exc:
            return errors(fmt, 400, str(exc))
        return answer(fmt, "service_requests", [_document(r) for r in found])

    @app.get(PREFIX + "/requests/{service_request_id}.{fmt}")
    async def one_request(service_request_id: str, fmt: str) -> Response:
        found = app.store.get(service_request_id)
        if found is None:
            return errors(fmt, 404, f"service_request_id {service_request_id!r} not found")
        return answer(fmt, "service_requests", [_document(found)])

    @app.get(PREFIX + "/servicerequestupdates.{fmt}")
    async def request_updates(fmt: str, request: Request) -> Response:
        try:
            start, end = _window(request.query_params)
        except ValueError as exc:
            return errors(fmt, 400, str(exc))
        updates = [
            update_document(r, u)
            for r in app.store.all()
            for u in r.updates
            if start <= u.at <= end
        ]
        return answer(fmt, "service_request_updates", updates)

    def _document(found: Any) -> dict[str, Any]:
        service = services.get(found.service_code)
        name = service.name if service else found.service_code
        return request_document(found, name, settings.agency_responsible)

    return app


def _problems(service: SandboxService | None, code: str, form: dict[str, str]) -> list[str]:
    if not code:
        return ["service_code was not provided"]
    if service is None:
        return [f"service_code {code!r} not found"]
    problems = []
    if not (form.get("lat") and form.get("long")) and not (
        form.get("address_string") or form.get("address_id")
    ):
        problems.append("a location is required: lat and long, address_string or address_id")
    for attribute in service.attributes:
        if attribute.required and not form.get(f"attribute[{attribute.code}]"):
            problems.append(f"attribute[{attribute.code}] is required ({attribute.description})")
    return problems


def _filtered(requests: list[Any], query: Any) -> list[Any]:
    if ids := query.get("service_request_id"):  # the spec: this overrides every other argument
        wanted = [i.strip() for i in ids.split(",") if i.strip()]
        by_id = {r.service_request_id: r for r in requests}
        return [by_id[i] for i in wanted if i in by_id]
    start, end = _window(query)
    codes = set(query["service_code"].split(",")) if query.get("service_code") else None
    statuses = set(query["status"].split(",")) if query.get("status") else None
    found = [
        r
        for r in requests
        if start <= r.requested <= end
        and (codes is None or r.service_code in codes)
        and (statuses is None or r.status in statuses)
    ]
    return sorted(found, key=lambda r: r.requested)[:LIMIT]


def _window(query: Any) -> tuple[datetime, datetime]:
    end = _moment(query.get("end_date"), "end_date") or datetime.now(UTC) + timedelta(seconds=1)
    start = _moment(query.get("start_date"), "start_date") or end - DEFAULT_WINDOW
    return start, end


def _moment(text: str | None, name: str) -> datetime | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} must be a W3C date and time, e.g. 2026-01-01T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())


@contextmanager
def running_open311_sandbox(
    settings: Open311SandboxSettings | None = None, port: int | None = None
) -> Iterator[tuple[Open311SandboxApp, BackgroundServer]]:
    """Serve a sandbox on loopback for the length of a ``with`` block (tests, demo)."""
    app = create_app(settings)
    with BackgroundServer(app, port=port) as server:
        yield app, server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve the Open311 agency sandbox (roads).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8734)
    parser.add_argument("--api-key", default=Open311SandboxSettings.api_key)
    parser.add_argument("--answer-with", choices=["id", "token"], default="id")
    parser.add_argument("--close-after-seconds", type=float, default=30.0)
    args = parser.parse_args(argv)
    settings = Open311SandboxSettings(
        api_key=args.api_key,
        answer_with=args.answer_with,
        close_after_seconds=args.close_after_seconds,
    )
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
