"""The facade's own small FastAPI app, mounted at ``PREFIX`` by :func:`mount_open311`.

A mounted app of its own, so that every refusal under ``/open311/v2`` — a route's, the
framework's (an unknown path, a wrong method), an unexpected failure's — comes in the spec's
``errors`` shape and in the format the URL asked for, never as the ``/v1`` problem+json. It has
no OpenAPI page: GeoReport v2 is described from the published spec in
tests/open311/georeport-v2.openapi.yaml, and that description judges it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import FastAPI, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Mount
from starlette.types import ASGIApp

from hub.agreements.registry import AgreementRegistry
from hub.api.deps import RegistryDep, SessionDep, SettingsDep
from hub.api.open311.errors import Open311Error, bad_request, from_field_errors, not_found
from hub.api.open311.filing import shared_request
from hub.api.open311.formats import Format, answer, split_suffix
from hub.api.open311.keys import api_key_of, staff_reads, submitting_operator
from hub.api.open311.notice import service_notice
from hub.api.open311.queries import find_request, find_requests
from hub.api.open311.services import definition, find_service, service_entry, services
from hub.api.open311.views import request_entry
from hub.auth.errors import AccessDenied
from hub.core.errors import NotFound, ValidationFailed
from hub.core.unreachable import unavailable_cause
from hub.delivery.dispatch import agreements_of
from hub.intake.idempotency import HEADER, register_once
from hub.worker.tasks import wake_deliveries

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"


def _format(name: str) -> Format:
    """The format a ``.{format}`` route was called with; another suffix is a 400."""
    try:
        return Format(name.lower())
    except ValueError:
        raise bad_request(f"format {name[:20]!r} is not served: use .json or .xml") from None


def _format_of(request: Request) -> Format:
    """The format an error is told in: the URL's suffix, XML (the spec's own) without one."""
    return split_suffix(request.url.path.rpartition("/")[2])[1] or Format.XML


def _param(request: Request, name: str) -> str | None:
    values = request.query_params.getlist(name)
    return values[-1] if values else None


def discovery(http: Request, registry: RegistryDep, settings: SettingsDep, fmt: str) -> Response:
    """Service discovery: where the GeoReport v2 endpoint is and what it speaks."""
    changeset = _changeset(registry)
    body = {
        "changeset": changeset,
        "contact": "ستاد سامد (۱۱۱) استان گلستان / Samad centre (111), Golestan province",
        "key_service": "api_key: an operator's API token, made by the hub's admin with "
        "samad-hub tokens create NAME --role operator",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": str(http.url.replace(path=PREFIX, query="", fragment="")),
                "changeset": changeset,
                "type": "production" if settings.environment == "production" else "test",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return answer(_format(fmt), "discovery", body)


def _changeset(registry: AgreementRegistry) -> str:
    """When the services last changed: the newest agreement file's time (sortable)."""
    times = [a.path.stat().st_mtime for a in registry.all() if a.path.exists()]
    newest = datetime.fromtimestamp(max(times, default=0), UTC)
    return newest.strftime("%Y-%m-%d %H:%M")


def list_services(registry: RegistryDep, fmt: str) -> Response:
    """One service per routed category, its agency as ``group``."""
    return answer(_format(fmt), "services", [service_entry(s) for s in services(registry)])


def service_definition(registry: RegistryDep, service_code: str) -> Response:
    code, fmt = split_suffix(service_code)
    service = find_service(registry, code)
    return answer(fmt or Format.XML, "service_definition", definition(service))


async def post_request(
    http: Request,
    session: SessionDep,
    registry: RegistryDep,
    settings: SettingsDep,
    fmt: str,
    idempotency_key: Annotated[str | None, Header(alias=HEADER)] = None,
) -> Response:
    """Register a request exactly as ``POST /v1/requests`` would, from an Open311 form."""
    chosen = _format(fmt)
    form = await _form(http)
    caller = await run_in_threadpool(submitting_operator, session, api_key_of(http, form))
    code = (form.get("service_code") or [""])[-1].strip()
    if not code:
        raise bad_request("service_code: required (GET services lists them)")
    service = find_service(registry, code)
    document = shared_request(service, form)
    result, replayed = await run_in_threadpool(
        register_once,
        session,
        document,
        registry,
        settings,
        actor=caller.actor,
        caller=caller.caller,
        key=idempotency_key,
    )
    headers = {"Idempotent-Replayed": "true"} if replayed else {}
    if not replayed:  # a word to the broker: off the event loop, as /v1's sync route does
        await run_in_threadpool(wake_deliveries, agreements_of(result.referrals))
    created = {
        "service_request_id": result.request.tracking_code,
        "service_notice": service_notice(result, registry),
        "account_id": None,
    }
    return answer(chosen, "service_requests", [created], headers=headers)


async def _form(http: Request) -> dict[str, list[str]]:
    content_type = http.headers.get("content-type", "")
    if "form" not in content_type:
        raise bad_request(
            "the body must be application/x-www-form-urlencoded, as GeoReport v2 says"
        )
    form = await http.form()
    fields: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            fields.setdefault(key, []).append(value)
    return fields


def get_requests(http: Request, session: SessionDep, registry: RegistryDep, fmt: str) -> Response:
    """Requests by the spec's filters, in the default window of the latest 90 days."""
    chosen = _format(fmt)
    full = staff_reads(session, _param(http, "api_key"))
    found = find_requests(
        session,
        ids=_param(http, "service_request_id"),
        service_code=_param(http, "service_code"),
        status=_param(http, "status"),
        start_date=_param(http, "start_date"),
        end_date=_param(http, "end_date"),
    )
    body = [request_entry(f.request, f.referrals, registry, full=full) for f in found]
    return answer(chosen, "service_requests", body)


def get_request(
    http: Request, session: SessionDep, registry: RegistryDep, service_request_id: str
) -> Response:
    code, fmt = split_suffix(service_request_id)
    full = staff_reads(session, _param(http, "api_key"))
    found = find_request(session, code)
    if found is None:
        raise not_found(f"service_request_id {code[:20]!r} was not found")
    entry = request_entry(found.request, found.referrals, registry, full=full)
    return answer(fmt or Format.XML, "service_requests", [entry])


def _install_errors(app: FastAPI) -> None:
    def refused(request: Request, error: Open311Error) -> Response:
        return answer(_format_of(request), "errors", error.body(), status=error.status)

    @app.exception_handler(Open311Error)
    async def _open311(request: Request, exc: Open311Error) -> Response:
        return refused(request, exc)

    @app.exception_handler(ValidationFailed)
    async def _invalid(request: Request, exc: ValidationFailed) -> Response:
        return refused(request, from_field_errors(exc.errors))

    @app.exception_handler(RequestValidationError)
    async def _unreadable(request: Request, exc: RequestValidationError) -> Response:
        names = [".".join(str(p) for p in e.get("loc", ())[1:]) for e in exc.errors()]
        return refused(request, bad_request(*(f"{n}: not valid" for n in names)))

    @app.exception_handler(NotFound)
    async def _missing(request: Request, exc: NotFound) -> Response:
        return refused(request, not_found(str(exc)))

    @app.exception_handler(AccessDenied)
    async def _denied(request: Request, exc: AccessDenied) -> Response:
        return refused(request, Open311Error(403, exc.detail))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        status = exc.status_code if exc.status_code in (403, 404, 405) else 400
        detail = str(exc.detail)
        if status == 404:  # tokens/{token} too: every request is answered with its id at once
            detail = "no such resource here: discovery, services and requests are served"
        return refused(request, Open311Error(status, detail))

    @app.exception_handler(Exception)
    async def _failed(request: Request, exc: Exception) -> Response:
        cause = unavailable_cause(exc)  # the traceback is logged by LastResort, once
        if cause is None:
            return refused(request, Open311Error(500, "the hub failed; the failure is logged"))
        response = refused(
            request, Open311Error(503, f"the hub's {cause} is out of reach: retry in a moment")
        )
        response.headers["Retry-After"] = "5"
        return response


class _Mount(Mount):
    """Starlette's mount, matching any path under the prefix: its ``.*`` stops at a newline,
    and ``/services/%0A.json`` would fall through to the hub's own 404."""

    def __init__(self, path: str, app: ASGIApp) -> None:
        super().__init__(path, app=app)
        self.path_regex = re.compile(self.path_regex.pattern, re.DOTALL)


def mount_open311(app: FastAPI) -> None:
    """Mount the facade at ``PREFIX`` of the hub's app."""
    app.router.routes.append(_Mount(PREFIX, create_open311_app()))


def create_open311_app() -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    _install_errors(app)
    get, post = app.get, app.post
    get("/discovery.{fmt}")(discovery)
    get("/services.{fmt}")(list_services)
    get("/services/{service_code}")(service_definition)
    post("/requests.{fmt}")(post_request)
    get("/requests.{fmt}")(get_requests)
    get("/requests/{service_request_id}")(get_request)
    return app


__all__ = ["PREFIX", "create_open311_app", "mount_open311"]
