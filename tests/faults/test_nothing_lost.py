"""Nothing lost, nothing referred twice: the whole hub in real processes, broken on purpose.

A few hundred requests go in while a worker is SIGKILLed mid-delivery (twice), Redis is stopped
and restarted, PostgreSQL connections are terminated, the agency is down, then answers garbage,
then too slowly. Two beats run the sweeps all along. Afterwards every accepted request must have
each referral delivered exactly once on the agency's side, or failed with its reason; no update
applied twice; every state change in the audit log.
"""

from __future__ import annotations

import os

import pytest

from tests.faults.harness import Cluster, run_scenario
from tests.support.environment import PG_SERVER
from tests.support.private_rabbitmq import PrivateRabbitMQ

pytestmark = pytest.mark.timeout(600)


@pytest.mark.parametrize("broker", ["redis", "rabbitmq"])
def test_every_accepted_request_is_delivered_once_or_failed_with_its_reason_under_faults(
    broker: str,
) -> None:
    if broker == "rabbitmq" and os.environ.get("SAMAD_TEST_RABBITMQ", "1") == "0":
        pytest.skip("SAMAD_TEST_RABBITMQ=0")
    if broker == "rabbitmq" and not PrivateRabbitMQ.available():
        pytest.skip("rabbitmq-server is not installed (the test starts a RabbitMQ node of its own)")
    cluster = Cluster(PG_SERVER, workers=2, broker=broker).start()
    try:
        recovered_in = run_scenario(cluster, total=200)
        verdict = cluster.verify()
        logs = cluster.logs() if not verdict.ok else ""
    finally:
        cluster.stop()
    assert recovered_in != float("inf"), f"the hub never settled: {verdict}"
    assert verdict.accepted >= 100, f"too few requests were accepted: {verdict}"
    assert verdict.referrals == verdict.accepted
    assert verdict.lost == []
    assert verdict.agency_duplicates == 0
    assert verdict.orphan_tickets == []
    assert verdict.updates_applied_twice == []
    assert verdict.audit_gaps == []
    assert verdict.unsettled == []
    assert all(reason.split(": ", 1)[1] for reason in verdict.failed), verdict.failed
    assert verdict.ok, logs
