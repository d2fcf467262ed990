"""Rate limits shared by every API process (Redis, via the ``limits`` library), or kept in
process memory when the hub runs embedded without a Redis.

``check(rate, *key)`` counts one hit and raises :func:`hub.auth.errors.too_many` (429 with
``Retry-After``) when the key is over its rate. Rates use limits' notation: ``"10/minute"``.
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


def check(rate: str, *key: str) -> None:
    item = _rate(rate)
    identifiers = (NAMESPACE, *key)
    url = _store_url()
    try:
        allowed = _limiter(url).hit(item, *identifiers)
        limiter = _limiter(url)
    except Exception as exc:  # the shared store is down: limit in this process meanwhile
        log.warning("rate limit store unreachable (%s): counting in memory", type(exc).__name__)
        limiter = _limiter("memory://")
        allowed = limiter.hit(item, *identifiers)
    if not allowed:
        reset = limiter.get_window_stats(item, *identifiers).reset_time
        raise too_many(math.ceil(reset - time.time()))
