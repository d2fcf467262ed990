"""A request is delivered by a worker started as the CLI starts one: ``--pool prefork``.

The rest of the run's workers use threads; production's default is prefork, where the worker
forks child processes after it imported the hub, and a task runs in a child. Here a hub of its
own (database, Redis, API, beats, REST agency: ``tests.faults.harness.Cluster``) has only one
worker, ``samad-hub worker --pool prefork --concurrency 2``; a request filed through the API is
delivered — one ticket at the agency — and the delivery attempt names the child that pushed it
(its own pid, whose parent is the worker), not the parent that imported the tasks module.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.db.models import DeliveryAttempt, Referral, Request
from hub.db.session import get_engine, session_scope
from hub.worker.process import start_worker, stop_process
from tests.core.waiting import wait_for
from tests.faults.harness import PROGRESS, Cluster
from tests.support.environment import PG_SERVER
from tests.support.tickets import assert_one_ticket_each

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def cluster(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cluster]:
    """A hub without workers, whose environment this process takes on (start_worker's)."""
    hub = Cluster(PG_SERVER, workers=0).start()
    for name in [name for name in os.environ if name.startswith("SAMAD_")]:
        monkeypatch.delenv(name)
    for name, value in hub.env().items():
        monkeypatch.setenv(name, value)
    try:
        yield hub
    finally:
        get_engine(hub.database_url).dispose()
        hub.stop()


def _delivered(database: str, tracking_code: str) -> tuple[str, str, str, str] | None:
    """(reference, state, external id, attempt's worker) once the referral was delivered."""
    with session_scope(database) as session:
        row = session.execute(
            select(Referral.reference, Referral.state, Referral.external_id, DeliveryAttempt.worker)
            .join(Request, Request.id == Referral.request_id)
            .join(DeliveryAttempt, DeliveryAttempt.referral_id == Referral.id)
            .where(Request.tracking_code == tracking_code, DeliveryAttempt.outcome == "delivered")
        ).first()
    return None if row is None else (row[0], row[1], row[2] or "", row[3] or "")


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()  # "pid (name) state ppid …", name with spaces
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_a_request_filed_through_the_api_is_delivered_by_a_prefork_child(
    cluster: Cluster,
) -> None:
    log = cluster.root / "worker-prefork.log"
    worker = start_worker(log, beat=False, threads=2, pool="prefork")
    try:
        cluster.submit(1, threads=1)
        assert len(cluster.accepted) == 1, cluster.logs()
        [code] = cluster.accepted
        reference, state, external_id, pushed_by = wait_for(
            lambda: _delivered(cluster.database_url, code),
            timeout=60,
            what=f"{code} delivered by the prefork worker\n{log.read_text(errors='replace')}",
        )
        host, pid = pushed_by.rsplit(":", 1)
        assert (host, worker.poll()) == (socket.gethostname(), None)
        assert int(pid) != worker.pid, f"the attempt names the parent, not a child: {pushed_by}"
        assert _parent_of(int(pid)) == worker.pid  # a child of this worker, still running
    finally:
        stop_process(worker)

    assert state in PROGRESS
    assert_one_ticket_each(cluster.agency.tickets, [reference])
    assert [ticket.id for ticket in cluster.agency.tickets.tickets_for(reference)] == [external_id]
