"""Signed agency webhooks: HMAC-SHA256 over ``"<timestamp>.<raw body>"``, within a time window.

The agency sends two headers with every push::

    X-Samad-Timestamp: 1764331200            (Unix seconds, when it signed)
    X-Samad-Signature: sha256=<hex HMAC-SHA256 of b"1764331200." + body, keyed by the secret>

A missing, malformed or wrong signature, or a timestamp outside the window either side of now,
is refused with 401 and nothing is read from the body. Replays inside the window are caught by
the update id (applied once per agreement).
"""

from __future__ import annotations

import hashlib
import hmac
import time

from hub.auth.errors import AccessDenied

TIMESTAMP_HEADER = "X-Samad-Timestamp"
SIGNATURE_HEADER = "X-Samad-Signature"
SCHEME = "sha256="


def signature(secret: str, timestamp: int | str, body: bytes) -> str:
    """The header value an agency sends: ``sha256=<hex>``."""
    message = str(timestamp).encode("ascii") + b"." + body
    return SCHEME + hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _refused(detail: str) -> AccessDenied:
    return AccessDenied(401, detail, "امضای به‌روزرسانی نامعتبر است")


def verify(
    secret: str,
    timestamp: str | None,
    presented: str | None,
    body: bytes,
    tolerance_seconds: int,
    now: float | None = None,
) -> None:
    if not timestamp or not presented:
        raise _refused(f"both {TIMESTAMP_HEADER} and {SIGNATURE_HEADER} are required")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise _refused(f"{TIMESTAMP_HEADER} must be Unix seconds")
    now = time.time() if now is None else now
    if abs(now - int(timestamp)) > tolerance_seconds:
        raise _refused(f"the timestamp is more than {tolerance_seconds} seconds from now")
    expected = signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode("ascii"), presented.strip().encode("utf-8")):
        raise _refused("the signature does not match the body")
