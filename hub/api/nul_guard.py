"""Refusing the NUL character (U+0000) anywhere in a request, before any route sees it.

PostgreSQL text cannot hold NUL, so a tracking code, a filter or a JSON string carrying one
would reach the database and fail there as a 500. No citizen, agency or operator has a reason
to send it, so the hub refuses it at the door with a 400 that says which part held it: the
path, the query string, or the body (raw, as a JSON ``\\u0000`` escape, or form-encoded
``%00``).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.api.problems import problem

# A \u0000 escape not itself escaped: preceded by an even number of backslashes.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000", re.IGNORECASE)
_FORM_NUL = re.compile(rb"%00")


def _has_nul(raw: bytes, content_type: bytes) -> bool:
    if b"\x00" in raw or _JSON_NUL.search(raw):
        return True
    return b"form-urlencoded" in content_type and bool(_FORM_NUL.search(raw))


def _refusal(part: str, path: str) -> JSONResponse:
    return problem(
        400,
        f"the request's {part} contains a NUL character (U+0000), which no text may hold",
        "درخواست نویسهٔ تهی (NUL) دارد که در هیچ متنی پذیرفته نیست",
        kind="nul-character",
        instance=path,
    )


class NulGuard:
    """Answers 400 to a request whose path, query string or body holds a NUL character."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        part = None
        if "\x00" in str(scope.get("path", "")):
            part = "path"
        elif b"\x00" in unquote_to_bytes(scope.get("query_string") or b""):
            part = "query string"
        if part is None and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            body, receive = await _read(receive)
            headers = dict(scope.get("headers") or [])
            if _has_nul(body, headers.get(b"content-type", b"")):
                part = "body"
        if part is not None:
            await _refusal(part, str(scope.get("path", "")).replace("\x00", ""))(
                scope, receive, send
            )
            return
        await self.app(scope, receive, send)


async def _read(receive: Receive) -> tuple[bytes, Receive]:
    """The whole body, and a ``receive`` that hands it on unchanged."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay
