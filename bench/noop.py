"""The delivery benchmark's baseline: a Celery task that does nothing but count itself in Redis."""

from __future__ import annotations

import os

import redis

from hub.core.celery_app import app

_counter = redis.Redis.from_url(os.environ.get("SAMAD_BENCH_COUNTER", "redis://127.0.0.1:6379/13"))


@app.task(name="bench.noop", ignore_result=True)
def noop(number: int) -> None:
    _counter.incr("bench:noop")
