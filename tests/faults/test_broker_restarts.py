"""A worker with its embedded beat lives through Redis restarts, and the sweeps go on.

A Redis restart used to kill the worker now and then (``Unrecoverable error: AttributeError(
'NoneType' object has no attribute 'hostname')``), and with it the beat: no sweep ran any more.
Here a worker started as the project starts one (``samad-hub worker --beat``) runs on a Redis of
its own and a database of its own while requests keep coming in; its Redis is killed and started
again three times. After each restart the beat's sweeps run again (their runs are recorded in the
database, which the restarts do not touch), requests submitted after it are delivered, and the
worker process is still the one that was started.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.models import Referral
from hub.db.models_sweeps import SweepRun
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.intake.submit import submit_request
from hub.sandbox.rest import RestSandboxApp
from hub.worker.process import start_worker, stop_process
from tests.support.fixtures import PUSHES, Sandboxes
from tests.support.private_databases import private_database
from tests.support.private_redis import PrivateRedis
from tests.support.requests import citizen_request

BEAT_SWEEPS = ("hub.dispatch_due", "hub.poll_sweep")  # every 0.5 s in the test run
RESTARTS = 3
DELIVERED = ("delivered", "viewed", "in_progress", "forwarded", "resolved")


def wait_for(check: Callable[[], bool], timeout: float, what: str, worker: Worker) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker.assert_alive()
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"not within {timeout} s: {what}\n{worker.log_tail()}")


class Worker:
    """``samad-hub worker --beat``, started as the project starts it, on the test's servers."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.process = start_worker(log, beat=True)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def assert_alive(self) -> None:
        assert self.process.poll() is None, f"the worker died:\n{self.log_tail()}"


class Intake:
    """Requests submitted into the database every ``every`` seconds until stopped."""

    def __init__(self, database: str, every: float = 0.3) -> None:
        self.database, self.every = database, every
        self.submitted: list[tuple[datetime, int]] = []  # (when, referral id)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            with session_scope(self.database) as session:
                result = submit_request(session, citizen_request(), get_registry(), get_settings())
                ids = [referral.id for referral in result.referrals]
            self.submitted += [(utcnow(), referral_id) for referral_id in ids]

    def __enter__(self) -> Intake:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


@pytest.fixture
def own_redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    yield server
    server.kill()


def _sweeps_started(database: str) -> dict[str, datetime | None]:
    with session_scope(database) as session:
        rows = session.scalars(select(SweepRun).where(SweepRun.name.in_(BEAT_SWEEPS)))
        return {row.name: row.last_started for row in rows}


def _delivered(database: str, referral_ids: list[int]) -> set[int]:
    with session_scope(database) as session:
        rows = session.execute(
            select(Referral.id, Referral.state).where(Referral.id.in_(referral_ids))
        )
        return {referral_id for referral_id, state in rows if state in DELIVERED}


def _sweeps_ran_since(database: str, moment: datetime) -> bool:
    started = _sweeps_started(database)
    return all((started.get(name) or moment) > moment for name in BEAT_SWEEPS)


def _in_flight(database: str) -> bool:
    with session_scope(database) as session:
        return session.scalar(select(Referral.id).where(Referral.state == "delivering")) is not None


def _restart(
    redis: PrivateRedis, database: str, intake: Intake, agency: RestSandboxApp, worker: Worker
) -> None:
    """With a push under way, kill Redis and start it again; wait until the beat's sweeps ran
    and a request submitted since was delivered.

    The push outlasts Redis (the agency is slow): its task's ack fails, so the worker holds an
    unacknowledged message when it sees the connection lost — the case that used to kill it.
    """
    agency.faults.set("slow", delay_seconds=1.5, **PUSHES)
    wait_for(lambda: _in_flight(database), 30, "a push under way", worker)
    redis.kill()
    time.sleep(2)  # down for a while: sends fail, acks fail, the consumer retries
    agency.faults.reset()
    redis.start()
    back = utcnow()
    wait_for(lambda: _sweeps_ran_since(database, back), 45, "the beat's sweeps", worker)
    wait_for(lambda: any(at > back for at, _ in intake.submitted), 10, "a request", worker)
    since = [referral_id for at, referral_id in intake.submitted if at > back]
    wait_for(lambda: bool(_delivered(database, since)), 45, "a delivery of a new one", worker)


def test_the_worker_and_its_beat_live_through_three_redis_restarts_while_work_flows(
    sandboxes: Sandboxes,
    own_redis: PrivateRedis,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with private_database("postgresql", "restarts", tmp_path) as database:
        monkeypatch.setenv("SAMAD_DATABASE_URL", database)
        monkeypatch.setenv("SAMAD_BROKER_URL", own_redis.url)
        monkeypatch.setenv("SAMAD_REDIS_URL", own_redis.url)
        monkeypatch.setenv("SAMAD_DATA_DIR", str(tmp_path))
        worker = Worker(tmp_path / "worker.log")
        try:
            begun = utcnow()
            wait_for(lambda: _sweeps_ran_since(database, begun), 60, "the first sweeps", worker)
            with Intake(database) as intake:
                for _ in range(RESTARTS):
                    _restart(own_redis, database, intake, sandboxes.water, worker)
            worker.assert_alive()
            assert "Unrecoverable error" not in worker.log.read_text(errors="replace")
        finally:
            sandboxes.water.faults.reset()
            stop_process(worker.process)
