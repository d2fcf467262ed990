"""A breaker that opens says the agency is unreachable, and says so again when it closes.

A log line and an alert each time, once per change whichever worker made it: the probe that fails
while the agency is still down is only logged (it was alerted when the breaker opened).
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import pytest
from sqlalchemy import select

from hub.core.settings import get_settings
from hub.db.models import Event
from hub.db.session import session_scope
from hub.delivery.breaker import (
    Breaker,
    BreakerPolicy,
    BreakerStore,
    LocalBreakers,
    RedisBreakers,
    shared_redis_url,
)

POLICY = BreakerPolicy(failure_threshold=3, open_seconds=30, probe_wait_seconds=5)


def _alerts_of(agreement: str) -> list[dict[str, Any]]:
    with session_scope() as session:
        events = session.scalars(select(Event).where(Event.kind == "alert").order_by(Event.id))
        return [e.data for e in events if e.data.get("agreement") == agreement]


def _store(kind: str) -> BreakerStore:
    if kind == "local":
        return LocalBreakers()
    url = shared_redis_url(get_settings())
    assert url
    return RedisBreakers(url)


@pytest.mark.usefixtures("database", "broker")
@pytest.mark.parametrize("kind", ["redis", "local"])
def test_a_breaker_says_when_its_agency_becomes_unreachable_and_reachable_again(
    kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    agreement = f"breaker-alerts-{uuid.uuid4().hex[:8]}"
    breaker, now = Breaker(agreement, POLICY, _store(kind)), time.time()
    with caplog.at_level(logging.INFO, logger="hub.delivery.breaker"):
        moves = [breaker.record(transient_failure=True, now=now) for _ in range(4)]
        assert breaker.admit(now + 31).probe
        breaker.record(transient_failure=True, now=now + 31)  # the agency is still down
        assert breaker.admit(now + 62).probe
        closed = breaker.record(transient_failure=False, now=now + 62)
        breaker.record(transient_failure=False, now=now + 63)  # closed already: nothing to say

    assert [m is not None for m in moves] == [False, False, True, False]  # the third opened it
    assert closed is not None and str(closed.after) == "closed"
    alerts = _alerts_of(agreement)
    assert [a["alert"] for a in alerts] == ["agency_unreachable", "agency_reachable"]
    assert alerts[0]["breaker"] == "open" and alerts[0]["failures"] == 3
    assert "3 transient failures in a row" in alerts[0]["reason"]
    lines = [r.getMessage() for r in caplog.records if r.name == "hub.delivery.breaker"]
    assert [line.split(": ", 1)[0] for line in lines] == [
        f"agency {agreement}",  # opened
        f"breaker of {agreement}",  # the probe failed
        f"agency {agreement}",  # closed
    ]
    assert "breaker opened" in lines[0] and "breaker closed" in lines[2]
