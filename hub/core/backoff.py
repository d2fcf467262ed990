"""When to try a failed delivery again: exponential backoff with jitter."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from hub.core.settings import Settings


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_seconds: float
    max_seconds: float

    @classmethod
    def for_agreement(cls, delivery: dict[str, Any], settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=delivery.get("max_attempts", settings.delivery_max_attempts),
            base_seconds=delivery.get("backoff_seconds", settings.delivery_backoff_seconds),
            max_seconds=delivery.get("backoff_max_seconds", settings.delivery_backoff_max_seconds),
        )

    def delay_after(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        "Equal jitter": half the exponential delay is kept, half is random, so a crowd of
        referrals that failed together (an agency outage) does not come back together, and none
        comes back at once.
        """
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** (attempt - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
