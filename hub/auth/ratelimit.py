"""Rate limits shared by every API process (Redis, via the ``limits`` library), or kept in
process memory when the hub runs embedded without a Redis.

``check(rate, *key)`` counts one hit and raises :func:`hub.auth.errors.too_many` (429 with
``Retry-After``) when the key is over its rate. Rates use limits' notation: ``"10/minute"``.
Where only failures count (logins), ``refuse_if_spent`` is asked first — it raises the same
429 without counting, so while a key is limited nothing else is checked — and ``count`` records
a failure.
If the shared store cannot be reached the hub falls back to counting in memory, so a Redis
outage slows nobody down and still limits each process.
"""

from __future__ import annotations

import functools
import logging
import math
import time

from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from hub.auth.errors import too_many
from hub.core.settings import get_settings

log = logging.getLogger(__name__)
NAMESPACE = "samad-rate"


@functools.cache
def _limiter(url: str) -> FixedWindowRateLimiter:
    return FixedWindowRateLimiter(storage_from_string(url))


def _store_url() -> str:
    redis_url = get_settings().redis_url
    return redis_url if redis_url.startswith(("redis://", "rediss://")) else "memory://"


@functools.cache
def _rate(rate: str) -> RateLimitItem:
    return parse(rate)


def _ask(rate: str, key: tuple[str, ...], hit: bool) -> tuple[bool, FixedWindowRateLimiter]:
    item = _rate(rate)
    identifiers = (NAMESPACE, *key)
    url = _store_url()
    try:
        limiter = _limiter(url)
        allowed = limiter.hit(item, *identifiers) if hit else limiter.test(item, *identifiers)
    except Exception as exc:  # the shared store is down: limit in this process meanwhile
        log.warning("rate limit store unreachable (%s): counting in memory", type(exc).__name__)
        limiter = _limiter("memory://")
        allowed = limiter.hit(item, *identifiers) if hit else limiter.test(item, *identifiers)
    return allowed, limiter


def _refuse(rate: str, key: tuple[str, ...], limiter: FixedWindowRateLimiter) -> None:
    reset = limiter.get_window_stats(_rate(rate), NAMESPACE, *key).reset_time
    raise too_many(math.ceil(reset - time.time()))


def check(rate: str, *key: str) -> None:
    """Count one hit; 429 when the key is over its rate."""
    allowed, limiter = _ask(rate, key, hit=True)
    if not allowed:
        _refuse(rate, key, limiter)


def refuse_if_spent(rate: str, *key: str) -> None:
    """429 when the key has no hit left in its window; counts nothing."""
    allowed, limiter = _ask(rate, key, hit=False)
    if not allowed:
        _refuse(rate, key, limiter)


def count(rate: str, *key: str) -> None:
    """Count one hit (a failure), without refusing this one."""
    _ask(rate, key, hit=True)
