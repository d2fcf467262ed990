"""The API's outer walls: body size and JSON depth limits, security headers, refusals as JSON.

Installed once by :func:`hub.web.app.create_app`. Everything here answers before a route runs,
in the same JSON shape as every other error (``detail`` in English, ``detail_fa`` in Persian).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from hub.api.auth import publish_roles
from hub.api.nul_guard import NulGuard
from hub.auth.errors import AccessDenied
from hub.auth.masking import install_log_masking
from hub.core.settings import get_settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_JSON_TOKENS = re.compile(rb'"(?:\\.|[^"\\])*"|[\[\]{}]')
_DOCS = ("/docs", "/redoc", "/openapi.json")
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


def _refusal(status: int, detail: str, detail_fa: str) -> JSONResponse:
    return JSONResponse({"detail": detail, "detail_fa": detail_fa}, status_code=status)


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
        if b"json" in headers.get(b"content-type", b"") and json_depth(body) > (
            settings.max_json_depth
        ):
            response = _refusal(
                400,
                f"the JSON body nests deeper than {settings.max_json_depth} levels",
                "ساختار JSON بیش از حد تودرتو است",
            )
            await response(scope, receive, send)
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
            413, f"the request body is larger than {limit} bytes", "حجم درخواست بیش از حد مجاز است"
        )
        await response(scope, receive, send)


class SecurityHeaders:
    """Headers that keep browsers from sniffing, framing or leaking; a strict CSP outside /docs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = list(_HEADERS)
        if not str(scope.get("path", "")).startswith(_DOCS):
            extra.append((b"content-security-policy", _CSP))
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

    @app.exception_handler(AccessDenied)
    async def _denied(_: Request, exc: AccessDenied) -> JSONResponse:
        return JSONResponse(
            {"detail": exc.detail, "detail_fa": exc.detail_fa},
            status_code=exc.status,
            headers=exc.headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        body = {"detail_fa": _PERSIAN.get(exc.status_code, "درخواست پذیرفته نشد")}
        if isinstance(exc.detail, dict) and "detail" in exc.detail:
            body.update(exc.detail)  # a route that wrote its own English and Persian
        else:
            body["detail"] = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
        return JSONResponse(
            body,
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


_PERSIAN = {
    400: "درخواست نادرست است",
    401: "احراز هویت لازم است",
    403: "اجازهٔ دسترسی ندارید",
    404: "پیدا نشد",
    405: "این روش برای این نشانی پذیرفته نیست",
    413: "حجم درخواست بیش از حد مجاز است",
    415: "نوع محتوا پذیرفته نیست",
}
