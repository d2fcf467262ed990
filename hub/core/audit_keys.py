"""The audit log's keys: one root key kept out of the database, one sub-key per use.

The root is ``SAMAD_AUDIT_KEY`` when it is set. Otherwise it is derived from
``SAMAD_SECRET_KEY`` as HMAC-SHA256(SAMAD_SECRET_KEY, ``"\\0samad-hub/audit-key/v1"``): the NUL
byte keeps it apart from every other HMAC made with that key (token and session-id hashes, see
:mod:`hub.auth.digest`), since none of those inputs can hold a NUL (PostgreSQL text cannot, and
the API refuses it). Each use then has its own sub-key, HMAC-SHA256(root,
``"samad-hub/audit/<use>/v1"``), so a MAC made for one use never verifies as another:

- ``row``: the MAC an event carries from its insert (:mod:`hub.referrals.event_macs`);
- ``chain``: the chain's link from one sealed event to the next (:mod:`hub.supervision.audit`);
- ``checkpoint``: the signature of a checkpoint of the chain's head
  (:mod:`hub.supervision.audit_checkpoints`).

Whoever can write the events table but does not hold the root key cannot make any of them.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
from enum import StrEnum

from hub.core.settings import get_settings

_DERIVED_ROOT = b"\0samad-hub/audit-key/v1"


class KeyUse(StrEnum):
    ROW = "row"
    CHAIN = "chain"
    CHECKPOINT = "checkpoint"


def _root_key() -> bytes:
    settings = get_settings()
    if settings.audit_key:
        return settings.audit_key.encode("utf-8")
    secret = settings.effective_secret_key.encode("utf-8")
    return hmac.new(secret, _DERIVED_ROOT, hashlib.sha256).digest()


@functools.cache
def _sub_key(root: bytes, use: KeyUse) -> bytes:
    return hmac.new(root, f"samad-hub/audit/{use}/v1".encode(), hashlib.sha256).digest()


def audit_mac(use: KeyUse, message: bytes) -> str:
    """The hex HMAC-SHA256 of ``message`` under the sub-key for ``use``."""
    return hmac.new(_sub_key(_root_key(), use), message, hashlib.sha256).hexdigest()


def audit_mac_matches(use: KeyUse, message: bytes, presented: str | None) -> bool:
    if not presented:
        return False
    expected = audit_mac(use, message)
    return hmac.compare_digest(expected.encode("ascii"), presented.encode("utf-8"))
