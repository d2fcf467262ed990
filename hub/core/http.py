"""The one way the hub makes outbound HTTP calls: a client with timeouts always set."""

from __future__ import annotations

from typing import Any

import httpx

from hub import __version__

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
USER_AGENT = f"samad-hub/{__version__}"


def make_client(timeout: float | httpx.Timeout | None = None, **kwargs: Any) -> httpx.Client:
    """An ``httpx.Client`` with a timeout (never none) and the hub's User-Agent."""
    headers = {"User-Agent": USER_AGENT, **kwargs.pop("headers", {})}
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    return httpx.Client(timeout=timeout, headers=headers, **kwargs)
