"""Keyed hashes of bearer secrets (API tokens, session ids), and fresh random secrets.

Tokens and session ids are long random strings, so a fast keyed hash is enough: a stolen table
without ``SAMAD_SECRET_KEY`` yields nothing usable, and look-up stays one indexed query.
Passwords, which people choose, are hashed with Argon2 instead (:mod:`hub.auth.passwords`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from hub.core.settings import get_settings


def keyed_hash(secret: str) -> str:
    key = get_settings().effective_secret_key.encode("utf-8")
    return hmac.new(key, secret.encode("utf-8"), hashlib.sha256).hexdigest()


def new_secret(prefix: str) -> str:
    """``prefix`` + 43 URL-safe characters (256 bits): recognisable in a leak scanner."""
    return prefix + secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
