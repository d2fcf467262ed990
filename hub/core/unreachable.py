"""When a server the hub needs is out of reach: the database, or the broker / shared Redis.

Both the API (a 503 with Retry-After instead of a 500) and the workers (one line per task with
its cause instead of a traceback per task) ask the same question of an exception.
"""

from __future__ import annotations

from kombu.exceptions import OperationalError as BrokerDown
from redis.exceptions import ConnectionError as RedisDown
from redis.exceptions import TimeoutError as RedisSlow
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# What a database, broker or Redis that is down or restarting raises, at the top.
UNREACHABLE: tuple[type[Exception], ...] = (
    OperationalError,
    InterfaceError,
    PoolTimeout,
    BrokerDown,
    RedisDown,
    RedisSlow,
)


def unavailable_cause(exc: BaseException) -> str | None:
    """``database`` or ``broker`` when ``exc`` (or what caused it) means one is out of reach."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, OperationalError | InterfaceError | PoolTimeout):
            return "database"
        if isinstance(seen, DBAPIError) and seen.connection_invalidated:
            return "database"
        if isinstance(seen, BrokerDown | RedisDown | RedisSlow):
            return "broker"
        seen = seen.__cause__ or seen.__context__
    return None


def first_line(exc: BaseException) -> str:
    """The exception's class and the first line of its message (SQLAlchemy's run to many)."""
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0]}" if text else type(exc).__name__
