"""The throttle per agency: at most N pushes a second or a minute, across every worker.

An agreement may say ``delivery.max_per_second`` and/or ``delivery.max_per_minute`` (a fragile
legacy system). Each push takes a slot from a moving window kept by the ``limits`` library — in
Redis, so every worker on every machine counts against the same window; in the process when the
hub has no Redis. A push that finds no free slot is not made: its referral waits until the window
has one (``pending``, not a failed attempt). When Redis cannot be reached the push goes ahead —
a throttle that is down must not stop deliveries.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Any, cast

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter
from redis import RedisError

from hub.core.settings import get_settings
from hub.delivery.breaker import shared_redis_url

log = logging.getLogger(__name__)
NAMESPACE = "samad-throttle"


def rate_limits(delivery: dict[str, Any]) -> list[RateLimitItem]:
    """The agreement's limits, the longest window first (so a full minute takes no second slot)."""
    items: list[RateLimitItem] = []
    if delivery.get("max_per_minute"):
        items.append(RateLimitItemPerMinute(int(delivery["max_per_minute"]), namespace=NAMESPACE))
    if delivery.get("max_per_second"):
        items.append(RateLimitItemPerSecond(int(delivery["max_per_second"]), namespace=NAMESPACE))
    return items


@functools.cache
def _storage() -> Storage:
    url = shared_redis_url(get_settings())
    if url is None:
        return MemoryStorage()
    # A redis:// URL gives the synchronous storage; only an async+ scheme would give the aio one.
    return cast(Storage, storage_from_string(url, socket_timeout=1, socket_connect_timeout=1))


class Throttle:
    """One agreement's rate; ``take()`` a slot before each push."""

    def __init__(self, agreement_id: str, limits: list[RateLimitItem], storage: Storage) -> None:
        self.agreement_id = agreement_id
        self.limits = limits
        self.limiter = MovingWindowRateLimiter(storage)

    @classmethod
    def for_agreement(cls, agreement_id: str, delivery: dict[str, Any]) -> Throttle:
        return cls(agreement_id, rate_limits(delivery), _storage())

    def take(self) -> float | None:
        """Take a slot now: None when taken, else the epoch time a slot frees up."""
        for item in self.limits:
            try:
                if not self.limiter.hit(item, self.agreement_id):
                    reset_at = self.limiter.get_window_stats(item, self.agreement_id).reset_time
                    return max(reset_at, time.time() + 0.05)
            except (RedisError, StorageError, ConnectionError) as exc:
                log.warning("throttle of %s unreachable (%s); pushing", self.agreement_id, exc)
                return None
        return None
