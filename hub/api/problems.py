"""Every error the API answers, as RFC 9457 problem details (``application/problem+json``).

One shape for every 4xx and 5xx, whoever raised it — a route, a guard before the routes, the
framework, or an exception nobody expected::

    {
      "type": "urn:samad-hub:problem:invalid-input",
      "title": "Unprocessable Content",
      "status": 422,
      "detail": "the request is not valid",
      "detail_fa": "درخواست معتبر نیست",
      "instance": "/v1/requests",
      "request_id": "4f0c2a…",
      "errors": [{"path": "$.citizen.mobile", "message": "…", "message_fa": "…"}]
    }

``detail`` is English, ``detail_fa`` Persian; ``errors`` (invalid input only) names each field by
its JSON path. ``request_id`` is also the response's ``X-Request-ID`` header and is on every log
line of that request, so a citizen's complaint about an error can be found in the logs.

:class:`LastResort` is the outermost wall: it writes the access line of every request and turns
an unexpected exception into a 500 problem (its traceback logged once, with the request id),
or into a 503 with ``Retry-After`` when the cause is the database or the broker being out of
reach — a call-centre client retries after that with the same ``Idempotency-Key``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from fastapi.responses import HTMLResponse, JSONResponse
from markupsafe import escape
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.core.logs import request_id
from hub.core.unreachable import unavailable_cause

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "urn:samad-hub:problem:"
RETRY_AFTER_SECONDS = 5

access_log = logging.getLogger("hub.api.access")
error_log = logging.getLogger("hub.api.errors")

# The problem type of each status the hub answers on its own account.
KINDS = {
    400: "bad-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "body-too-large",
    415: "unsupported-media-type",
    422: "invalid-input",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}

PERSIAN = {
    400: "درخواست نادرست است",
    401: "احراز هویت لازم است",
    403: "اجازهٔ دسترسی ندارید",
    404: "پیدا نشد",
    405: "این روش برای این نشانی پذیرفته نیست",
    409: "در این وضعیت پذیرفته نیست",
    413: "حجم درخواست بیش از حد مجاز است",
    415: "نوع محتوا پذیرفته نیست",
    422: "درخواست معتبر نیست",
    429: "درخواست‌ها بیش از حد مجاز است؛ کمی بعد دوباره تلاش کنید",
    500: "خطای داخلی سامانه؛ این خطا ثبت شد",
    503: "سامانه موقتاً در دسترس نیست؛ چند ثانیه بعد دوباره تلاش کنید",
}


def problem_body(
    status: int,
    detail: str,
    detail_fa: str | None = None,
    *,
    kind: str | None = None,
    instance: str | None = None,
    errors: Iterable[Mapping[str, str]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    slug = kind or KINDS.get(status)
    body: dict[str, Any] = {
        "type": TYPE_PREFIX + slug if slug else "about:blank",
        "title": _title(status),
        "status": status,
        "detail": detail,
        "detail_fa": detail_fa or PERSIAN.get(status, "درخواست پذیرفته نشد"),
    }
    if instance:
        body["instance"] = instance
    body["request_id"] = request_id()
    if errors is not None:
        body["errors"] = list(errors)
    body.update(extra)
    return body


def problem(
    status: int,
    detail: str,
    detail_fa: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    **fields: Any,
) -> JSONResponse:
    """A problem+json response; ``fields`` as :func:`problem_body` takes them."""
    return JSONResponse(
        problem_body(status, detail, detail_fa, **fields),
        status_code=status,
        headers=dict(headers or {}),
        media_type=MEDIA_TYPE,
    )


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _failure(scope: Scope, exc: BaseException) -> JSONResponse | HTMLResponse:
    path = str(scope.get("path", ""))
    cause = unavailable_cause(exc)
    if cause is not None:
        error_log.warning(
            "%s %s: the %s is out of reach (%s: %s); answered 503",
            scope.get("method"),
            path,
            cause,
            type(exc).__name__,
            str(exc).splitlines()[0] if str(exc) else "",
        )
        status = 503
        detail = (
            f"the hub's {cause} is out of reach for a moment; nothing was changed by this call "
            f"unless it said so. Retry in {RETRY_AFTER_SECONDS} seconds with the same "
            "Idempotency-Key"
        )
        detail_fa = (
            "سامانه لحظه‌ای در دسترس نیست و این درخواست ثبت نشد مگر آنکه خلافش گفته شده باشد؛ "
            f"{RETRY_AFTER_SECONDS} ثانیه بعد با همان کلید Idempotency-Key دوباره بفرستید"
        )
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    else:
        error_log.error(
            "%s %s failed: %s", scope.get("method"), path, type(exc).__name__, exc_info=exc
        )
        status = 500
        detail = "the hub failed to answer this call; the failure is logged with its request id"
        detail_fa = None
        headers = {}
    if path.startswith("/dashboard") and not _wants_json(scope):
        return _error_page(status, detail_fa or PERSIAN[status], detail, headers)
    return problem(status, detail, detail_fa, instance=path, headers=headers)


def _wants_json(scope: Scope) -> bool:
    accept = dict(scope.get("headers") or []).get(b"accept", b"")
    return b"json" in accept and b"html" not in accept


def _error_page(status: int, text_fa: str, text_en: str, headers: dict[str, str]) -> HTMLResponse:
    rid = escape(request_id() or "-")
    page = (
        '<!doctype html><html lang="fa" dir="rtl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{status} — سامد</title></head><body><main>"
        f'<h1>{escape(text_fa)}</h1><p lang="en" dir="ltr">{escape(text_en)}</p>'
        f'<p>شناسهٔ درخواست: <code dir="ltr">{rid}</code></p>'
        '<p><a href="/dashboard">بازگشت به داشبورد</a></p></main></body></html>'
    )
    return HTMLResponse(page, status_code=status, headers=headers)


class LastResort:
    """The access line of every request, and no unexpected exception left unanswered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except Exception as exc:
            if status:  # the answer had begun: nothing more can be said to the client
                error_log.error(
                    "%s %s failed after answering", scope["method"], scope["path"], exc_info=exc
                )
            else:
                await _failure(scope, exc)(scope, receive, recording_send)
        finally:
            access_log.info(
                "%s %s %s %.1f ms",
                scope["method"],
                scope["path"],
                status or "-",
                (time.perf_counter() - started) * 1000,
            )


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details, with the hub's Persian text and field errors.",
    "type": "object",
    "required": ["type", "title", "status", "detail", "detail_fa"],
    "properties": {
        "type": {"type": "string", "examples": [TYPE_PREFIX + "invalid-input"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string", "description": "what went wrong, in English"},
        "detail_fa": {"type": "string", "description": "what went wrong, in Persian"},
        "instance": {"type": "string", "description": "the path that was called"},
        "request_id": {"type": ["string", "null"], "description": "also in X-Request-ID"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message", "message_fa"],
                "properties": {
                    "path": {"type": "string", "examples": ["$.citizen.mobile"]},
                    "message": {"type": "string"},
                    "message_fa": {"type": "string"},
                },
            },
        },
    },
}


def document_problems(schema: dict[str, Any]) -> dict[str, Any]:
    """Say in the OpenAPI document that every operation's errors are problem+json."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)
    content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code in [c for c in responses if c[:1] in ("4", "5")]:
                responses[code]["content"] = content
            responses.setdefault(
                "4XX", {"description": "Refused: see the problem", "content": content}
            )
            responses.setdefault(
                "5XX", {"description": "The hub failed or is out of reach", "content": content}
            )
    return schema
