"""The circuit breaker per agency: stop hammering an agency that is down, probe it, resume.

One breaker per agreement, shared by every worker on every machine through Redis (a hash per
agreement, changed by small Lua scripts so that two workers never half-update it). Without a
Redis (the embedded demo) the state lives in the process, which is enough for one worker::

    closed ──(breaker_failure_threshold transient failures in a row)──► open
    open ──(breaker_open_seconds later, one push is let through as a probe)──► half_open
    half_open ──(the probe delivered)──► closed      half_open ──(the probe failed)──► open

Only transient failures count (timeouts, refused connections, 5xx, garbage): a permanent refusal
means the agency is up and answering. While a breaker is open a referral is not pushed at all; it
waits (``pending``, not a failed attempt) until the probe time. When Redis itself cannot be
reached the breaker lets pushes through: the retry limit still protects the agency, and losing
the breaker must not stop deliveries.

A breaker that opens says so — a warning in the log and an ``agency_unreachable`` alert — and so
does one that closes again (``agency_reachable``). A probe that fails and leaves it open is only
logged: the agency was alerted as unreachable when it opened. Each change is seen by the one
worker whose update made it (the scripts say what they changed), so it is told once.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, cast

import redis

from hub.core.settings import Settings, get_settings
from hub.db.session import session_scope
from hub.referrals.events import AlertKind, alert

log = logging.getLogger(__name__)
KEY = "samad:breaker:{}"


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class Admission:
    """May a push go now? If not, ``retry_at`` (epoch seconds) says when to ask again."""

    allowed: bool
    retry_at: float | None = None
    probe: bool = False


@dataclass(frozen=True)
class BreakerView:
    state: BreakerState
    failures: int
    open_until: float | None  # epoch seconds of the next probe, while open


@dataclass(frozen=True)
class Transition:
    """A breaker that changed state with an update: ``before`` → ``after``."""

    before: BreakerState
    after: BreakerState
    failures: int  # transient failures in a row counted when it changed


@dataclass(frozen=True)
class BreakerPolicy:
    failure_threshold: int
    open_seconds: float
    probe_wait_seconds: float

    @classmethod
    def for_agreement(cls, delivery: dict[str, Any], settings: Settings) -> BreakerPolicy:
        return cls(
            failure_threshold=delivery.get("breaker_failures", settings.breaker_failure_threshold),
            open_seconds=delivery.get("breaker_open_seconds", settings.breaker_open_seconds),
            probe_wait_seconds=settings.breaker_probe_wait_seconds,
        )


class BreakerStore(Protocol):
    def admit(self, agreement_id: str, policy: BreakerPolicy, now: float) -> Admission: ...
    def succeeded(self, agreement_id: str) -> Transition | None: ...
    def failed(self, agreement_id: str, policy: BreakerPolicy, now: float) -> Transition | None: ...
    def view(self, agreement_id: str) -> BreakerView: ...
    def reset(self, agreement_id: str) -> None: ...


# KEYS[1] the breaker hash. ARGV: now, probe_wait. Returns {allowed, retry_at, probe}.
_ADMIT = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state or state == 'closed' then return {1, '', 0} end
local now = tonumber(ARGV[1])
local open_until = tonumber(redis.call('HGET', KEYS[1], 'open_until') or '0')
if now < open_until then return {0, tostring(open_until), 0} end
local probing_until = tonumber(redis.call('HGET', KEYS[1], 'probing_until') or '0')
if state == 'half_open' and now < probing_until then
  return {0, tostring(probing_until), 0}
end
local wait = tonumber(ARGV[2])
redis.call('HSET', KEYS[1], 'state', 'half_open', 'probing_until', tostring(now + wait))
return {1, '', 1}
"""

# KEYS[1] the breaker hash. ARGV: now, threshold, open_seconds.
# Returns {failures, the state it left when this opened it, or ''}.
_FAILED = """
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
local state = redis.call('HGET', KEYS[1], 'state') or 'closed'
if state == 'half_open' or (state == 'closed' and failures >= tonumber(ARGV[2])) then
  local open_until = tonumber(ARGV[1]) + tonumber(ARGV[3])
  redis.call('HSET', KEYS[1], 'state', 'open', 'open_until', tostring(open_until))
  redis.call('HDEL', KEYS[1], 'probing_until')
  return {failures, state}
end
return {failures, ''}
"""

# A success closes the breaker; written only when there is something to change.
# Returns {failures, the state it left when this closed it, or ''}.
_SUCCEEDED = """
local state = redis.call('HGET', KEYS[1], 'state')
local failures = redis.call('HGET', KEYS[1], 'failures')
if (state and state ~= 'closed') or (failures and failures ~= '0') then
  redis.call('DEL', KEYS[1])
end
if state and state ~= 'closed' then return {tonumber(failures or '0'), state} end
return {0, ''}
"""


class RedisBreakers:
    """Breakers in Redis, shared by every process that points at the same Redis."""

    def __init__(self, url: str) -> None:
        self.client = redis_client(url)
        self._admit = self.client.register_script(_ADMIT)
        self._failed = self.client.register_script(_FAILED)
        self._succeeded = self.client.register_script(_SUCCEEDED)

    def admit(self, agreement_id: str, policy: BreakerPolicy, now: float) -> Admission:
        allowed, retry_at, probe = self._admit(
            keys=[KEY.format(agreement_id)], args=[repr(now), repr(policy.probe_wait_seconds)]
        )
        return Admission(bool(allowed), float(retry_at) if retry_at else None, bool(probe))

    def succeeded(self, agreement_id: str) -> Transition | None:
        failures, left = self._succeeded(keys=[KEY.format(agreement_id)])
        return _moved(left, BreakerState.CLOSED, failures)

    def failed(self, agreement_id: str, policy: BreakerPolicy, now: float) -> Transition | None:
        args: list[str | int] = [repr(now), policy.failure_threshold, repr(policy.open_seconds)]
        failures, left = self._failed(keys=[KEY.format(agreement_id)], args=args)
        return _moved(left, BreakerState.OPEN, failures)

    def view(self, agreement_id: str) -> BreakerView:
        # The client does not decode responses (redis_client): keys and values are bytes.
        stored = cast(dict[bytes, bytes], self.client.hgetall(KEY.format(agreement_id)))
        raw = {k.decode(): v.decode() for k, v in stored.items()}
        state = BreakerState(raw.get("state", "closed"))
        open_until = float(raw["open_until"]) if state is BreakerState.OPEN else None
        return BreakerView(state, int(raw.get("failures", 0)), open_until)

    def reset(self, agreement_id: str) -> None:
        self.client.delete(KEY.format(agreement_id))


def _moved(left: bytes | str, to: BreakerState, failures: int) -> Transition | None:
    """What a script's answer says changed ('' or b'': nothing)."""
    before = left.decode() if isinstance(left, bytes) else left
    return Transition(BreakerState(before), to, int(failures)) if before else None


@dataclass
class _Local:
    state: BreakerState = BreakerState.CLOSED
    failures: int = 0
    open_until: float = 0.0
    probing_until: float = 0.0


class LocalBreakers:
    """The same rules, kept in this process: for a hub without Redis (one worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._breakers: dict[str, _Local] = {}

    def admit(self, agreement_id: str, policy: BreakerPolicy, now: float) -> Admission:
        with self._lock:
            b = self._breakers.setdefault(agreement_id, _Local())
            if b.state is BreakerState.CLOSED:
                return Admission(True)
            if now < b.open_until:
                return Admission(False, b.open_until)
            if b.state is BreakerState.HALF_OPEN and now < b.probing_until:
                return Admission(False, b.probing_until)
            b.state, b.probing_until = BreakerState.HALF_OPEN, now + policy.probe_wait_seconds
            return Admission(True, probe=True)

    def succeeded(self, agreement_id: str) -> Transition | None:
        with self._lock:
            b = self._breakers.pop(agreement_id, None)
        if b is None or b.state is BreakerState.CLOSED:
            return None
        return Transition(b.state, BreakerState.CLOSED, b.failures)

    def failed(self, agreement_id: str, policy: BreakerPolicy, now: float) -> Transition | None:
        with self._lock:
            b = self._breakers.setdefault(agreement_id, _Local())
            b.failures += 1
            tripped = b.state is BreakerState.CLOSED and b.failures >= policy.failure_threshold
            if not (b.state is BreakerState.HALF_OPEN or tripped):
                return None
            before = b.state
            b.state, b.open_until = BreakerState.OPEN, now + policy.open_seconds
            return Transition(before, BreakerState.OPEN, b.failures)

    def view(self, agreement_id: str) -> BreakerView:
        with self._lock:
            b = self._breakers.get(agreement_id, _Local())
            open_until = b.open_until if b.state is BreakerState.OPEN else None
            return BreakerView(b.state, b.failures, open_until)

    def reset(self, agreement_id: str) -> None:
        self.succeeded(agreement_id)


def shared_redis_url(settings: Settings) -> str | None:
    """The Redis for shared state: ``SAMAD_REDIS_URL``, else the broker when it is a Redis."""
    if settings.redis_url:
        return settings.redis_url
    if settings.effective_broker_url.startswith(("redis://", "rediss://")):
        return settings.effective_broker_url
    return None


def redis_client(url: str) -> redis.Redis:
    """A client for shared state, with short timeouts: a Redis that is down fails fast."""
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


@functools.cache
def shared_redis() -> redis.Redis | None:
    """This process's client of the shared-state Redis (None without one: the embedded hub)."""
    url = shared_redis_url(get_settings())
    return redis_client(url) if url else None


@functools.cache
def get_breakers() -> BreakerStore:
    url = shared_redis_url(get_settings())
    return RedisBreakers(url) if url else LocalBreakers()


class Breaker:
    """One agreement's breaker, with Redis trouble turned into "let it through"."""

    def __init__(self, agreement_id: str, policy: BreakerPolicy, store: BreakerStore) -> None:
        self.agreement_id = agreement_id
        self.policy = policy
        self.store = store

    def admit(self, now: float | None = None) -> Admission:
        try:
            return self.store.admit(self.agreement_id, self.policy, now or time.time())
        except redis.RedisError as exc:
            log.warning("breaker of %s unreadable (%s); letting the push through", self, exc)
            return Admission(True)

    def record(self, transient_failure: bool, now: float | None = None) -> Transition | None:
        """Count one push's outcome; the change it made to the breaker, if any (announced)."""
        try:
            if transient_failure:
                moved = self.store.failed(self.agreement_id, self.policy, now or time.time())
            else:
                moved = self.store.succeeded(self.agreement_id)
        except redis.RedisError as exc:
            log.warning("breaker of %s not updated (%s)", self, exc)
            return None
        if moved is not None:
            announce(self.agreement_id, moved, self.policy)
        return moved

    def __str__(self) -> str:
        return self.agreement_id


def announce(agreement_id: str, moved: Transition, policy: BreakerPolicy) -> None:
    """Log a breaker's change, and alert it when the agency became unreachable or reachable."""
    if moved.before is BreakerState.HALF_OPEN and moved.after is BreakerState.OPEN:
        log.info(
            "breaker of %s: the probe failed; open %gs more", agreement_id, policy.open_seconds
        )
        return
    if moved.after is BreakerState.OPEN:
        kind = AlertKind.AGENCY_UNREACHABLE
        reason = (
            f"breaker opened after {moved.failures} transient failures in a row: pushes and "
            f"polls wait, one probe every {policy.open_seconds:g}s"
        )
    else:
        kind = AlertKind.AGENCY_REACHABLE
        reason = f"breaker closed ({moved.before} before): a push went through again"
    log.warning("agency %s: %s", agreement_id, reason)
    try:
        with session_scope() as session:
            alert(
                session,
                kind,
                actor="breaker",
                agreement=agreement_id,
                breaker=str(moved.after),
                failures=moved.failures,
                reason=reason,
            )
    except Exception as exc:  # the breaker works on without its alert; the log line says it
        log.warning("alert %s of %s not recorded: %s", kind, agreement_id, exc)


def breaker_states(agreement_ids: list[str] | None = None) -> dict[str, BreakerView]:
    """Every agreement's breaker (for the admin API, the dashboard and ``/metrics``).

    Without ids, every agreement loaded now. An unreadable Redis shows as an empty dict.
    """
    if agreement_ids is None:
        from hub.agreements.registry import get_registry

        agreement_ids = [a.id for a in get_registry().all()]
    try:
        return {agreement_id: get_breakers().view(agreement_id) for agreement_id in agreement_ids}
    except redis.RedisError as exc:
        log.warning("breaker states unreadable: %s", exc)
        return {}
