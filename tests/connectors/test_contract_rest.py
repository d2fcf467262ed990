"""The REST connector keeps the connector contract (hub.testing) against the REST sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from connectors.rest.connector import RestConnector
from hub.plugins.connector import ConnectorContext
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from hub.sandbox.rest_faults import FaultMode
from hub.sandbox.rest_tickets import DONE_PATH, ManualClock
from hub.testing import ConnectorContract
from hub.testing.agency import FailureKind
from tests.connectors.test_rest_push import rest_settings

STEP = 60.0


class RestAgency:
    """The REST sandbox as the contract drives it: its store counts, its clock moves cases."""

    statuses = DONE_PATH

    def __init__(self, app: RestSandboxApp, clock: ManualClock) -> None:
        self.app, self.clock = app, clock

    def advance(self, external_id: str) -> None:
        self.clock.advance(STEP)

    def cases_for(self, reference: str) -> int:
        return self.app.tickets.count_with("reference", reference)

    @contextmanager
    def failing(self, kind: FailureKind) -> Iterator[None]:
        self.app.faults.set(FaultMode.ERROR500 if kind == "transient" else FaultMode.REJECT400)
        try:
            yield
        finally:
            self.app.faults.reset()


class TestRestConnectorContract(ConnectorContract):
    @pytest.fixture
    def agency(self) -> Iterator[RestAgency]:
        clock = ManualClock()
        settings = RestSandboxSettings(step_seconds=STEP, clock=clock)
        with running_rest_sandbox(settings) as (app, server):
            agency = RestAgency(app, clock)
            agency.url = server.url  # type: ignore[attr-defined]
            yield agency

    @pytest.fixture
    def connector(
        self, agency: RestAgency, samad_connector_context: ConnectorContext
    ) -> Iterator[RestConnector]:
        settings = rest_settings(agency.url, check_path="/api/v1/health")  # type: ignore[attr-defined]
        connector = RestConnector(settings, samad_connector_context)
        yield connector
        connector.close()
