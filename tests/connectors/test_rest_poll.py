"""Polling the REST sandbox for progress, one ticket at a time and in batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from connectors.rest.connector import RestConnector
from hub.core.errors import ConnectorRefused
from hub.plugins.connector import ConnectorContext, OutgoingReferral, Receipt, UpdateKind
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from hub.sandbox.rest_tickets import RESOLUTION_DONE, ManualClock

SINGLE_POLL = {
    "path": "/api/v1/tickets/{external_id}",
    "external_id": "ticket.id",
    "status": "ticket.status",
    "result": "ticket.resolution",
    "updated_at": "ticket.updated_at",
}
BATCH_POLL = {**SINGLE_POLL, "batch_path": "/api/v1/tickets/batch-status", "items": "items"}


MakeConnector = Callable[[str, dict[str, Any]], RestConnector]


@pytest.fixture
def connector_for(tmp_path: Path) -> Iterator[MakeConnector]:
    """Connectors for the test, each closed at its end even when the test fails."""
    made: list[RestConnector] = []

    def make(base_url: str, poll: dict[str, Any]) -> RestConnector:
        settings = {
            "base_url": base_url,
            "push": {"path": "/api/v1/tickets", "external_id": "ticket.id"},
            "poll": poll,
        }
        made.append(RestConnector(settings, ConnectorContext("gw", {}, {}, tmp_path, tmp_path)))
        return made[-1]

    yield make
    for connector in made:
        connector.close()


def push_tickets(connector: RestConnector, count: int, **fields: Any) -> list[Receipt]:
    return [
        connector.push(
            OutgoingReferral(
                referral_id=n,
                reference=f"R-1405-{n:07d}-1",
                tracking_code=str(n),
                idempotency_key=f"key-{n}",
                agreement_id="golestan-water",
                fields={"title": "فشار کم آب", "description": "فشار آب کم است", **fields},
                request={},
            )
        )
        for n in range(1, count + 1)
    ]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[tuple[RestSandboxApp, str]]:
    settings = RestSandboxSettings(step_seconds=0.5, clock=clock)
    with running_rest_sandbox(settings) as (app, server):
        yield app, server.url


@pytest.mark.parametrize("poll", [SINGLE_POLL, BATCH_POLL], ids=["single", "batch"])
def test_poll_returns_the_agencys_raw_statuses_as_they_move(
    sandbox, clock: ManualClock, poll: dict[str, Any], connector_for
) -> None:
    _, url = sandbox
    connector = connector_for(url, poll)
    receipts = push_tickets(connector, 3)
    seen = []
    for _ in range(5):
        updates = connector.poll(receipts)
        assert [u.external_id for u in updates] == [r.external_id for r in receipts]
        seen.append({u.status for u in updates})
        clock.advance(0.5)
    assert seen == [{"NEW"}, {"SEEN"}, {"ASSIGNED"}, {"IN_FIELD"}, {"CLOSED_DONE"}]
    final = connector.poll(receipts)[0]
    assert final.kind is UpdateKind.STATUS
    assert final.result == RESOLUTION_DONE
    assert isinstance(final.occurred_at, datetime) and final.occurred_at.tzinfo is not None
    assert final.raw["ticket"]["id"] == receipts[0].external_id


def test_the_same_status_read_twice_has_the_same_update_id_and_a_new_one_differs(
    sandbox, clock: ManualClock, connector_for
) -> None:
    _, url = sandbox
    connector = connector_for(url, BATCH_POLL)
    receipts = push_tickets(connector, 2)
    first, again = connector.poll(receipts), connector.poll(receipts)
    clock.advance(0.5)
    later = connector.poll(receipts)
    assert [u.update_id for u in first] == [u.update_id for u in again]
    assert len({u.update_id for u in first}) == 2
    assert not {u.update_id for u in first} & {u.update_id for u in later}


def test_an_update_id_expression_is_used_when_the_agency_gives_one(sandbox, connector_for) -> None:
    _, url = sandbox
    poll = {**SINGLE_POLL, "update_id": "ticket.events[-1].id"}
    connector = connector_for(url, poll)
    (receipt,) = push_tickets(connector, 1)
    assert connector.poll([receipt])[0].update_id == f"{receipt.external_id}-E1"


def test_a_returned_ticket_reports_rejected_with_the_agencys_reason(
    sandbox, clock: ManualClock, connector_for
) -> None:
    _, url = sandbox
    connector = connector_for(url, BATCH_POLL)
    receipts = push_tickets(connector, 1, title="روشنایی معابر [return]")
    clock.advance(10)
    (update,) = connector.poll(receipts)
    assert update.status == "REJECTED"
    assert update.result


def test_batches_are_cut_to_batch_size(sandbox, connector_for) -> None:
    _, url = sandbox
    pusher = connector_for(url, SINGLE_POLL)
    receipts = push_tickets(pusher, 5)
    connector = connector_for(url, {**BATCH_POLL, "batch_size": 2})
    calls: list[int] = []
    connector._client.event_hooks["request"].append(lambda request: calls.append(1))
    updates = connector.poll(receipts)
    assert [u.external_id for u in updates] == [r.external_id for r in receipts]
    assert len(calls) == 3


def test_polling_a_ticket_the_agency_does_not_know_is_refused(sandbox, connector_for) -> None:
    _, url = sandbox
    connector = connector_for(url, SINGLE_POLL)
    with pytest.raises(ConnectorRefused, match="404"):
        connector.poll([Receipt(1, "WTR-1405-999999")])


def test_polling_nothing_calls_nobody(connector_for) -> None:
    connector = connector_for("http://127.0.0.1:9", BATCH_POLL)
    assert connector.poll([]) == []
