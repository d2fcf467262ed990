"""The periodic sweeps' pulse: which sweep is overdue, the one alert per stall, /readyz, /metrics.

The record and its rules on both databases, at chosen moments (no waiting); the API's answers on
the run's database; and a worker without beat, whose watchdog alerts the sweeps nobody sends.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from hub.core.celery_app import app
from hub.core.settings import get_settings
from hub.db.migrate import upgrade
from hub.db.models import Event
from hub.db.models_sweeps import SweepRun
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.supervision.sweeps import alert_overdue, expect, pulses, record_run, scheduled_sweeps
from hub.worker.process import start_worker, stop_process
from tests.support.private_redis import PrivateRedis

NO_FLOOR = get_settings().model_copy(update={"sweep_overdue_min_seconds": 0})


def _alerts(url: str, sweep: str) -> list[dict[str, Any]]:
    with session_scope(url) as session:
        events = session.scalars(select(Event).where(Event.kind == "alert").order_by(Event.id))
        return [e.data for e in events if e.data.get("sweep") == sweep]


def test_the_schedule_gives_every_sweep_its_interval() -> None:
    sweeps = scheduled_sweeps(app.conf.beat_schedule)
    assert sweeps["hub.dispatch_due"] == get_settings().dispatch_every_seconds
    assert sweeps["hub.failure_digest"] == 24 * 3600  # a crontab: the gap between two firings
    assert set(sweeps) >= {"hub.poll_sweep", "hub.deadline_sweep", "hub.notification_sweep"}


def test_a_sweep_that_never_ran_is_late_only_three_intervals_after_it_was_first_expected(
    database_url: str,
) -> None:
    sweeps = {f"hub.test-{uuid.uuid4().hex[:8]}": 10.0}
    first_start = utcnow()
    with session_scope(database_url) as session:
        expect(session, sweeps, first_start)
    with session_scope(database_url) as session:
        expect(session, sweeps, first_start + timedelta(hours=1))  # a later start changes nothing
        (soon,) = pulses(session, sweeps, first_start + timedelta(seconds=29), NO_FLOOR)
        (late,) = pulses(session, sweeps, first_start + timedelta(seconds=31), NO_FLOOR)
        (floored,) = pulses(session, sweeps, first_start + timedelta(seconds=31))
    assert not soon.overdue and late.overdue
    assert late.last_finished is None and round(late.seconds_since) == 31
    assert not floored.overdue  # a minute at least, by default: a broker blip is not a dead beat


def test_an_overdue_sweep_is_alerted_once_per_stall(database_url: str) -> None:
    name = f"hub.test-{uuid.uuid4().hex[:8]}"
    sweeps = {name: 10.0}
    t0 = utcnow()

    def watch(seconds: float) -> list[str]:
        with session_scope(database_url) as session:
            return alert_overdue(session, sweeps, t0 + timedelta(seconds=seconds), NO_FLOOR)

    with session_scope(database_url) as session:
        expect(session, sweeps, t0)
    assert watch(31) == [name] and watch(40) == [name]  # overdue twice, alerted once
    assert len(_alerts(database_url, name)) == 1
    with session_scope(database_url) as session:  # it ran again (and failed)
        ran = t0 + timedelta(seconds=44)
        record_run(session, name, ran, ran + timedelta(seconds=1), ValueError("boom"), 10.0)
    assert watch(50) == []
    assert watch(80) == [name]  # stalled again: a new spell, a new alert
    first, second = _alerts(database_url, name)
    assert first["alert"] == "sweep_overdue" and first["last_run"].startswith("never")
    assert second["last_run"] == (t0 + timedelta(seconds=45)).isoformat()
    with session_scope(database_url) as session:
        (pulse,) = pulses(session, sweeps, t0 + timedelta(seconds=80), NO_FLOOR)
    assert pulse.last_ok is False and pulse.last_error == "ValueError: boom"


@pytest.fixture
def digest_last_ran_days_ago(database: str) -> Iterator[datetime]:
    """The daily failure digest's record says it last ran four days ago (restored after)."""
    name, long_ago = "hub.failure_digest", utcnow() - timedelta(days=4)
    with session_scope() as session:
        row = session.get(SweepRun, name)
        before = None if row is None else (row.last_started, row.last_finished, row.last_ok)
        if row is None:
            row = SweepRun(name=name, interval_seconds=86400, expected_since=long_ago)
            session.add(row)
        row.last_started, row.last_finished, row.last_ok = long_ago, long_ago, True
    yield long_ago
    with session_scope() as session:
        row = session.get(SweepRun, name)
        if before is None:
            session.delete(row)
        else:
            row.last_started, row.last_finished, row.last_ok = before


def test_readyz_names_the_overdue_sweep_and_stays_ready(
    api: httpx.Client, digest_last_ran_days_ago: datetime
) -> None:
    answer = api.get("/readyz")
    assert answer.status_code == 200, answer.text  # a dead beat does not unready the API
    body = answer.json()
    assert "hub.failure_digest" in body["overdue_sweeps"]
    digest = body["sweeps"]["hub.failure_digest"]
    assert digest["overdue"] is True and digest["interval_seconds"] == 86400
    assert digest["last_finished"] == digest_last_ran_days_ago.isoformat()


def test_metrics_tell_how_long_ago_each_sweep_ran(
    api: httpx.Client, digest_last_ran_days_ago: datetime
) -> None:
    text = httpx.get(f"{api.base_url}/metrics", timeout=10).text
    samples = {
        (s.name, s.labels.get("sweep")): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("samad_sweep_seconds_since_last_run", "hub.failure_digest")] >= 4 * 86400
    assert samples[("samad_sweep_overdue", "hub.failure_digest")] == 1


def test_a_worker_whose_beat_is_gone_alerts_the_sweeps_that_stopped(
    sandboxes: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No beat at all: every sweep stops. The worker's watchdog says so, once per sweep."""
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    upgrade(url)
    redis = PrivateRedis().start()  # a broker of its own: this worker takes no one else's tasks
    for name, value in {
        "SAMAD_DATABASE_URL": url,
        "SAMAD_BROKER_URL": redis.url,
        "SAMAD_REDIS_URL": redis.url,
        "SAMAD_DATA_DIR": str(tmp_path),
        "SAMAD_SWEEP_WATCHDOG_EVERY_SECONDS": "0.5",
        "SAMAD_SWEEP_OVERDUE_MIN_SECONDS": "0",
    }.items():
        monkeypatch.setenv(name, value)
    log = tmp_path / "worker.log"
    worker = start_worker(log, beat=False)
    try:
        deadline = time.monotonic() + 60
        while not _alerts(url, "hub.dispatch_due") and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text(errors="replace")[-3000:]
            time.sleep(0.2)
        (alert,) = _alerts(url, "hub.dispatch_due")
        assert alert["alert"] == "sweep_overdue" and "is beat running?" in alert["reason"]
        time.sleep(1.5)  # three more turns of the watchdog: still that one alert
        assert len(_alerts(url, "hub.dispatch_due")) == 1
    finally:
        stop_process(worker)
        redis.kill()
