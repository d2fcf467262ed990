"""Reading the hub's problem+json answers in tests."""

from __future__ import annotations

import httpx


def said(answer: httpx.Response) -> dict:
    """A problem's body less what echoes this very call — its path (``instance``) and request
    id, each checked against the call — so two refusals can be compared for a leak."""
    assert answer.headers["content-type"] == "application/problem+json", answer.headers
    body = answer.json()
    assert body.pop("instance") == answer.request.url.path
    assert body.pop("request_id") == answer.headers["x-request-id"]
    return body
