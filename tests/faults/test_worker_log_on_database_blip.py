"""A worker logs a database blip as one line per task, with its cause, not a traceback each.

Issue 19, item 3. A PostgreSQL restart fails every task running at that moment; each used to
leave a traceback of several screens in the worker's log, so an operator could not see what
else happened. Here a worker (``samad-hub worker``, as the project starts one) works on a
PostgreSQL server of this test's own, which crashes (``pg_ctl stop -m immediate``). The sweeps
sent to the worker meanwhile fail, and each leaves one warning line naming the task, the server
that is out of reach and the cause; no traceback. When the server is back the same worker runs
the next sweep whole.
"""

from __future__ import annotations

import re
import socket
import time
import uuid
from pathlib import Path

import pytest

from hub.core.celery_app import app
from hub.db.models_sweeps import SweepRun
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.worker.process import start_worker, stop_process
from tests.core.waiting import wait_for
from tests.support.private_postgres import PrivatePostgres

pytestmark = pytest.mark.timeout(240)
QUEUE = f"blip-{uuid.uuid4().hex[:8]}"  # this test's worker alone takes these tasks
SWEEPS = ("hub.dispatch_due", "hub.poll_sweep", "hub.deadline_sweep")


def _warnings_of(log: Path, task_id: str) -> list[str]:
    return [line for line in log.read_text(errors="replace").splitlines() if task_id in line]


def _ran_whole_since(url: str, name: str, since: object) -> bool:
    with session_scope(url) as session:
        run = session.get(SweepRun, name)
        return bool(
            run is not None
            and run.last_started is not None
            and run.last_finished is not None
            and run.last_started > since  # type: ignore[operator]
            and run.last_finished >= run.last_started
        )


@pytest.mark.usefixtures("broker")
def test_tasks_failing_on_a_crashed_database_leave_one_line_each_and_no_traceback(
    postgres: PrivatePostgres, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAMAD_DATABASE_URL", postgres.url)
    monkeypatch.setenv("SAMAD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SAMAD_SWEEP_WATCHDOG_EVERY_SECONDS", "0")  # only the tasks' lines
    # Its metrics port is taken (as by a second worker on one machine): one line, no traceback.
    taken = socket.create_server(("127.0.0.1", 0))
    monkeypatch.setenv("SAMAD_WORKER_METRICS_PORT", str(taken.getsockname()[1]))
    log = tmp_path / "worker.log"
    worker = start_worker(log, beat=False, threads=2, queues=QUEUE)
    try:
        started = utcnow()
        first = app.send_task("hub.dispatch_due", queue=QUEUE)
        wait_for(
            lambda: _ran_whole_since(postgres.url, "hub.dispatch_due", started),
            timeout=90,
            what="a first sweep while the database is up: " + log.read_text(errors="replace"),
        )
        assert first.id

        postgres.stop()  # a crash: every connection cut
        failed = [app.send_task(name, queue=QUEUE).id for name in SWEEPS for _ in range(2)]
        wait_for(
            lambda: all(
                any("out of reach" in line for line in _warnings_of(log, task_id))
                for task_id in failed
            ),
            timeout=60,
            what="a warning for every task sent while the database is down: "
            + log.read_text(errors="replace")[-4000:],
        )
        text = log.read_text(errors="replace")
        for task_id in failed:
            lines = _warnings_of(log, task_id)
            assert len(lines) == 1, lines  # one line per task ...
            assert re.search(r"the database is out of reach \(OperationalError: .+\)", lines[0])
        at = text.find("Traceback")
        assert at < 0, text[max(0, at - 600) : at + 2400]  # ... and no traceback anywhere
        assert "worker metrics not served" in text
        # The sweep records that could not be written say so in one line each too.
        for line in text.splitlines():
            if "not recorded" in line:
                assert "OperationalError" in line and "sqlalche.me" not in line, line

        postgres.start()
        back = utcnow()
        time.sleep(0.5)
        app.send_task("hub.dispatch_due", queue=QUEUE)
        wait_for(
            lambda: _ran_whole_since(postgres.url, "hub.dispatch_due", back),
            timeout=90,
            what="a whole sweep once the database is back: "
            + log.read_text(errors="replace")[-4000:],
        )
        assert worker.poll() is None  # the same worker, alive
    finally:
        stop_process(worker)
        taken.close()
