"""Fetching an agency's description: an http(s) URL through the hub's one HTTP client, or a file."""

from __future__ import annotations

from pathlib import Path

import httpx

from hub.agreements.drafts.description import DescriptionError
from hub.core.http import make_client

FETCH_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
MAX_BYTES = 20 * 1024 * 1024


def is_url(location: str) -> bool:
    return location.startswith(("http://", "https://"))


def fetch(location: str, what: str) -> bytes:
    """The document at ``location``; ``what`` (e.g. "OpenAPI description") names it in errors."""
    if not is_url(location):
        path = Path(location.removeprefix("file://")).expanduser()
        try:
            return path.read_bytes()
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise DescriptionError(f"could not load the {what}: {location}: {reason}") from exc
    try:
        with make_client(timeout=FETCH_TIMEOUT, follow_redirects=True) as http:
            response = http.get(location)
            response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        status = exc.response.status_code
        raise DescriptionError(f"could not load the {what} at {location}: HTTP {status}") from exc
    except httpx.HTTPError as exc:
        raise DescriptionError(f"could not load the {what} at {location}: {exc}") from exc
    if len(response.content) > MAX_BYTES:
        raise DescriptionError(f"the {what} at {location} is larger than {MAX_BYTES} bytes")
    return response.content
