"""The dispatch sweep sends nothing while the queue is full.

Otherwise a backlog grows by itself, every sweep adding tasks on top of those still waiting,
until the workers do nothing but run tasks that find nothing to do (the fault-injection run found
referrals pending for minutes with no attempt at all, when tasks were per referral).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import kombu
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hub.agreements.registry import get_registry
from hub.core.celery_app import app
from hub.core.settings import get_settings
from hub.db.models import Referral
from hub.db.session import session_scope
from hub.delivery.dispatch import due_agreements, waiting_tasks
from hub.intake.submit import submit_request
from tests.support.requests import citizen_request

LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def _registered(count: int) -> list[int]:
    """Referrals committed whose delivery task was never sent (the API died after the commit)."""
    ids = []
    for _ in range(count):
        with session_scope() as session:
            result = submit_request(session, citizen_request(), get_registry(), get_settings())
            # Not due (in this transaction): no running worker delivers it before the test.
            result.referrals[0].next_attempt_at = datetime(2100, 1, 1, tzinfo=UTC)
            ids.append(result.referrals[0].id)
    return ids


def _due(session: Session, ids: list[int]) -> dict[int, datetime]:
    query = select(Referral.id, Referral.next_attempt_at).where(Referral.id.in_(ids))
    rows = session.execute(query)
    return {referral_id: due for referral_id, due in rows}


def test_a_full_queue_gets_no_more_tasks_and_the_referrals_stay_as_they_were(
    database: str, broker: str, sandboxes: object
) -> None:
    ids = _registered(3)
    with session_scope() as session:
        # Due long ago, and locked by this transaction, so no running worker's sweep takes them.
        for offset, referral_id in enumerate(ids):
            session.execute(
                update(Referral)
                .where(Referral.id == referral_id)
                .values(next_attempt_at=LONG_AGO + timedelta(seconds=offset))
            )
        before = _due(session, ids)

        when_full = due_agreements(session, limit=100, waiting=100)
        with_room = due_agreements(session, limit=100, waiting=98)
        after = _due(session, ids)

    assert when_full == []
    assert "golestan-water" in with_room  # its agency is woken: its task claims them
    assert after == before  # the sweep leases nothing: the task's claim is the only lock


def test_the_tasks_waiting_are_read_from_the_brokers_queue(broker: str) -> None:
    queue = f"backlog-{uuid.uuid4().hex[:8]}"
    assert waiting_tasks(queue) == 0  # never declared
    with kombu.Connection(app.conf.broker_url) as connection:
        producer = connection.Producer()
        target = kombu.Queue(queue, routing_key=queue)
        for number in range(3):
            producer.publish({"n": number}, routing_key=queue, declare=[target])
        try:
            assert waiting_tasks(queue) == 3
        finally:
            connection.default_channel.queue_purge(queue)
            target.bind(connection.default_channel).delete()
    assert waiting_tasks(queue) == 0
