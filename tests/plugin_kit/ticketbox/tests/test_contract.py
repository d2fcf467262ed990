"""TicketBox keeps samad-hub's connector contract, against a running TicketBox test system."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from ticketbox_connector.connector import TicketBoxConnector

from hub.plugins.connector import ConnectorContext
from hub.plugins.manager import make_plugin_manager
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from hub.sandbox.rest_faults import FaultMode
from hub.sandbox.rest_tickets import DONE_PATH, ManualClock
from hub.testing import ConnectorContract

STEP = 60.0


class TicketBox:
    """A TicketBox test system (samad-hub's REST sandbox speaks its API)."""

    statuses = DONE_PATH

    def __init__(self, app: RestSandboxApp, url: str, clock: ManualClock) -> None:
        self.app, self.url, self.clock = app, url, clock

    def advance(self, external_id: str) -> None:
        self.clock.advance(STEP)

    def cases_for(self, reference: str) -> int:
        return self.app.tickets.count_with("reference", reference)

    @contextmanager
    def failing(self, kind: str) -> Iterator[None]:
        self.app.faults.set(FaultMode.ERROR500 if kind == "transient" else FaultMode.REJECT400)
        try:
            yield
        finally:
            self.app.faults.reset()


def test_samad_hub_finds_the_connector_through_its_entry_point() -> None:
    connectors = make_plugin_manager().connectors
    assert connectors.get("ticketbox") is TicketBoxConnector


class TestTicketBox(ConnectorContract):
    @pytest.fixture
    def agency(self) -> Iterator[TicketBox]:
        clock = ManualClock()
        with running_rest_sandbox(RestSandboxSettings(step_seconds=STEP, clock=clock)) as running:
            app, server = running
            yield TicketBox(app, server.url, clock)

    @pytest.fixture
    def connector(
        self, agency: TicketBox, samad_connector_context: ConnectorContext
    ) -> Iterator[TicketBoxConnector]:
        connector = TicketBoxConnector({"base_url": agency.url}, samad_connector_context)
        yield connector
        connector.close()
