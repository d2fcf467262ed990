"""kombu's Redis transport, with one fix: a channel of a lost connection fails as a lost
connection does.

When a worker loses Redis, Celery collects the connection — kombu closes it and drops its
transport — and then closes it once more (Celery 5.6.3 and later, through 5.7.0, the latest
release). Anything that still uses a channel of it afterwards builds a Redis client for a transport
that is gone, and kombu raises::

    AttributeError: 'NoneType' object has no attribute 'hostname'

Two such uses killed workers (``Unrecoverable error``), and with them an embedded beat, when Redis
restarted while work flowed: the second close giving back the messages taken but not yet
acknowledged (the ``acks_late`` deliveries and polls), and the acknowledgement of a task that
finished after the connection was lost (threads pool). An ``AttributeError`` is not among the
connection errors Celery expects there, so neither was survived. Here the channel raises Redis'
own ``ConnectionError`` instead, which Celery ignores on the close, logs on the ack ("Couldn't
ack"), and answers by reconnecting — as kombu already does for a stale file descriptor (KeyError,
kombu #2582). The message whose ack was lost is delivered again after the visibility timeout;
its work is in the database and idempotent, and the sweeps find it sooner.

``tests/faults/test_broker_restarts.py`` restarts Redis under a working worker and reproduces both.
"""

from __future__ import annotations

from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> Any:
        transport = self.connection
        if transport is None or transport.client is None:
            raise RedisConnectionError("this channel's broker connection was closed")
        return super()._connparams(asynchronous=asynchronous)  # type: ignore[misc]  # not in stubs


class Transport(kombu_redis.Transport):
    Channel = Channel
