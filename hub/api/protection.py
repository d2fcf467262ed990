"""The API's outer walls: body size and JSON depth limits, security headers, refusals as JSON.

Installed once by :func:`hub.web.app.create_app`. Everything here answers before a route runs,
in the same JSON shape as every other error (``detail`` in English, ``detail_fa`` in Persian).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from typing import Any

from asgi_correlation_id import CorrelationIdMiddleware
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.auth import publish_roles
from hub.api.nul_guard import NulGuard
from hub.api.problems import PERSIAN, LastResort, problem
from hub.auth.errors import AccessDenied
from hub.auth.masking import install_log_masking
from hub.core.errors import FieldError
from hub.core.settings import get_settings

_JSON_TOKENS = re.compile(rb'"(?:\\.|[^"\\])*"|[\[\]{}]')
_DOCS = ("/docs", "/redoc", "/static-offline-docs")
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


# The API documentation pages run the Swagger UI / ReDoc files shipped with fastapi-offline:
# everything from this hub, with the inline start-up script those pages need.
_DOCS_CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors 'none'; "
    b"form-action 'self'; base-uri 'none'"
)


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON text (strings skipped), without parsing it."""
    depth = deepest = 0
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif token in (b"]", b"}"):
            depth -= 1
    return deepest


def _refusal(status: int, detail: str, detail_fa: str, path: str) -> JSONResponse:
    return problem(status, detail, detail_fa, instance=path)


class BodyGuard:
    """Refuses bodies over ``SAMAD_MAX_BODY_BYTES`` (413) and JSON nested deeper than
    ``SAMAD_MAX_JSON_DEPTH`` (400), reading the body once and handing it on unchanged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        settings = get_settings()
        limit = settings.max_body_bytes
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._too_large(scope, receive, send, limit)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        refusal = _body_problem(scope, headers.get(b"content-type", b""), body)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = _refusal(
            413,
            f"the request body is larger than {limit} bytes",
            "حجم درخواست بیش از حد مجاز است",
            scope["path"],
        )
        await response(scope, receive, send)


def _body_problem(scope: Scope, content_type: bytes, body: bytes) -> JSONResponse | None:
    """Why this body is refused before any route reads it, or None.

    Limits hold whatever the content type says: a body that looks like JSON is measured as
    JSON. Under ``/v1/`` every body is JSON, so another declared type is a 415; a JSON body is
    parsed once here, so text that is not JSON, or numbers JSON does not allow (``NaN``,
    ``Infinity``, ``1e999``) and integers too long to read, are refused naming the field.
    """
    path = scope["path"]
    depth_limit = get_settings().max_json_depth
    looks_json = b"json" in content_type or body.lstrip()[:1] in (b"[", b"{")
    if looks_json and json_depth(body) > depth_limit:
        return _refusal(
            400,
            f"the JSON body nests deeper than {depth_limit} levels",
            "ساختار JSON بیش از حد تودرتو است",
            path,
        )
    if not path.startswith("/v1/") or not body.strip():
        return None
    media = content_type.split(b";", 1)[0].strip().lower()
    if not (media == b"application/json" or media.endswith(b"+json")):
        sent = media.decode("latin-1") or "no content type"
        return problem(
            415,
            f"the body is sent as {sent}; this API reads application/json",
            "نوع محتوای بدنه پذیرفته نیست؛ این نشانی فقط application/json می‌پذیرد",
            instance=path,
        )
    status, errors = json_problems(body)
    if errors:
        return problem(
            status,
            "the request is not valid",
            "درخواست معتبر نیست",
            instance=path,
            errors=[e.as_dict() for e in errors],
        )
    return None


class _NotFinite:
    def __init__(self, text: str) -> None:
        self.text = text


def _number(text: str) -> float | _NotFinite:
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text)


def json_problems(body: bytes) -> tuple[int, list[FieldError]]:
    """What makes ``body`` unreadable as strict JSON (RFC 8259), each with its JSON path, and
    the status to answer: 400 for bytes that are not UTF-8 text, 422 for text that is not JSON
    or holds numbers JSON forbids (as the routes' own validation answers)."""
    try:
        document = json.loads(body, parse_constant=_NotFinite, parse_float=_number)
    except UnicodeDecodeError as exc:
        return 400, [
            FieldError("$", f"the body is not UTF-8: {exc}", "بدنه با UTF-8 نوشته نشده است")
        ]
    except json.JSONDecodeError as exc:
        return 422, [FieldError("$", f"the body is not JSON: {exc}", "بدنه JSON معتبر نیست")]
    except ValueError as exc:  # an integer of more digits than Python reads
        return 422, [
            FieldError(
                "$",
                f"the body holds a number too long to read: {exc}"[:200],
                "بدنه عددی بیش از حد طولانی دارد",
            )
        ]
    return 422, [
        FieldError(
            where,
            f"{bad.text} is not a number JSON allows: send a finite number",
            "عدد نامعتبر است؛ فقط عدد متناهی پذیرفته می‌شود",
        )
        for where, bad in _not_finite(document, "$")
    ]


def _not_finite(value: Any, where: str) -> Iterator[tuple[str, _NotFinite]]:
    if isinstance(value, _NotFinite):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _not_finite(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _not_finite(item, f"{where}[{index}]")


class SecurityHeaders:
    """Headers that keep browsers from sniffing, framing or leaking; a strict CSP outside /docs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(_HEADERS)
        docs = str(scope.get("path", "")).startswith(_DOCS)
        extra.append((b"content-security-policy", _DOCS_CSP if docs else _CSP))
        if get_settings().environment == "production":
            extra.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in present
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)


def install_protection(app: FastAPI) -> None:
    install_log_masking()
    publish_roles(app)
    app.add_middleware(NulGuard)  # inside BodyGuard: reads bounded
    app.add_middleware(BodyGuard)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(LastResort)  # outside the others: nothing escapes unanswered
    app.add_middleware(CorrelationIdMiddleware, validator=_sane_request_id)

    @app.exception_handler(AccessDenied)
    async def _denied(request: Request, exc: AccessDenied) -> JSONResponse:
        return problem(
            exc.status, exc.detail, exc.detail_fa, instance=request.url.path, headers=exc.headers
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if isinstance(exc.detail, dict) and "detail" in exc.detail:
            # a route that wrote its own English and Persian
            detail, detail_fa = str(exc.detail["detail"]), exc.detail.get("detail_fa")
        else:
            detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
            detail_fa = PERSIAN.get(exc.status_code)
        return problem(
            exc.status_code,
            detail,
            detail_fa,
            instance=request.url.path,
            headers=getattr(exc, "headers", None),
        )


_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _sane_request_id(value: str) -> bool:
    """A caller's own X-Request-ID is kept when it is a plain token (it goes into the logs)."""
    return bool(_REQUEST_ID.match(value))
