"""Signed agency webhooks, the Standard Webhooks way (https://www.standardwebhooks.com).

An agreement with ``webhook.scheme: standard_webhooks`` gets three headers with every push::

    webhook-id: msg_2KWPBgLlAfxdpx2AI54pPJ85f4W     (the sender's id for this message)
    webhook-timestamp: 1674087231                   (Unix seconds, when it signed)
    webhook-signature: v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=

``v1`` is the base64 HMAC-SHA256 of ``"<webhook-id>.<webhook-timestamp>.<raw body>"``, keyed by
the secret's bytes: the secret is written ``whsec_<base64>`` and the part after the prefix
decoded. During a key rotation the sender puts several signatures in the header, space
separated, and the hub holds two secrets (``secret`` and ``previous_secret``): one signature
made with either is enough. Signatures of other versions (``v1a,…``) are passed over.

Refused with 401 and nothing read from the body: a missing header, a timestamp that is not Unix
seconds or further than the tolerance either side of now (an old message replayed, or a clock
that is wrong: the error names ``webhook-timestamp``), and no matching signature. A message
replayed inside the window is applied once all the same: the update id is unique per agreement.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping, Sequence

from hub.auth.errors import AccessDenied

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
HEADERS = (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER)
SECRET_PREFIX = "whsec_"
VERSION = "v1"
MAX_ID_LENGTH = 256


class NotASecret(ValueError):
    """A configured secret that is not ``whsec_`` and base64."""


def secret_key(secret: str) -> bytes:
    """The key bytes of a ``whsec_…`` secret (the prefix may be left out)."""
    encoded = secret.strip().removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(encoded + "=" * (-len(encoded) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NotASecret("a Standard Webhooks secret is whsec_ followed by base64") from exc
    if not key:
        raise NotASecret("the Standard Webhooks secret is empty")
    return key


def sign(secret: str, message_id: str, timestamp: int | str, body: bytes) -> str:
    """The ``v1,<base64>`` signature a sender puts in ``webhook-signature``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode('ascii')}"


def _refused(detail: str) -> AccessDenied:
    return AccessDenied(401, detail, "امضای به‌روزرسانی نامعتبر است")


def verify(
    secrets: Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    tolerance_seconds: int,
    now: float | None = None,
) -> str:
    """The message's ``webhook-id`` when one of ``secrets`` signed ``body``; else AccessDenied.

    ``headers`` is looked up by lower-case name (Starlette's headers, or a lower-cased dict).
    Raises ``NotASecret`` for a configured secret that is not one (the hub's fault, not the
    sender's)."""
    given = {name: headers.get(name) for name in HEADERS}
    missing = [name for name, value in given.items() if not value]
    if missing:
        raise _refused(
            f"Standard Webhooks needs {', '.join(HEADERS)}: {', '.join(missing)} missing"
        )
    message_id, stamp, presented = (str(given[name]).strip() for name in HEADERS)
    if len(message_id) > MAX_ID_LENGTH or not message_id.isprintable():
        raise _refused(f"{ID_HEADER} must be printable, at most {MAX_ID_LENGTH} characters")
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
        raise _refused(f"{TIMESTAMP_HEADER} must be Unix seconds")
    age = (time.time() if now is None else now) - int(stamp)
    if abs(age) > tolerance_seconds:
        when = "old" if age > 0 else "ahead of the hub's clock"
        raise _refused(
            f"{TIMESTAMP_HEADER} is {abs(int(age))} seconds {when}, more than the "
            f"{tolerance_seconds} allowed: a replayed message, or a wrong clock"
        )
    offered = [s.encode() for s in presented.split() if s.startswith(VERSION + ",")]
    expected = [sign(secret, message_id, stamp, body).encode() for secret in secrets]
    # Every pair compared, in constant time each: no early exit tells which one matched.
    matched = [hmac.compare_digest(e, o) for e in expected for o in offered]
    if not any(matched):
        raise _refused(
            f"no signature in {SIGNATURE_HEADER} matches the body "
            f"(v1,<base64 HMAC-SHA256 of {ID_HEADER}.{TIMESTAMP_HEADER}.body>)"
        )
    return message_id
