"""The SOAP connector keeps the connector contract (hub.testing) against the SOAP sandbox."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connectors.soap import clients
from connectors.soap.connector import SoapConnector
from hub.plugins.connector import ConnectorContext
from hub.sandbox.server import BackgroundServer
from hub.sandbox.soap import ManualClock, SoapSandbox
from hub.sandbox.soap.registry import RESOLVED_PATH
from hub.testing import ConnectorContract, FrozenClock, ReferralFactory
from hub.testing.agency import FailureKind
from tests.connectors.test_soap_connector import AGREEMENT, FIELDS, PASSWORD, USER, settings_for

STEP = 60.0


class SoapAgency:
    """The SOAP sandbox as the contract drives it: its registry counts, its clock moves cases."""

    statuses = tuple(str(code) for code in RESOLVED_PATH)

    def __init__(self, sandbox: SoapSandbox, clock: ManualClock, server: BackgroundServer) -> None:
        self.sandbox, self.clock, self.server = sandbox, clock, server

    def advance(self, external_id: str) -> None:
        self.clock.advance(STEP)

    def cases_for(self, reference: str) -> int:
        cases = list(self.sandbox.registry.cases.values())
        return sum(1 for case in cases if case.fields.get("ReferenceNo") == reference)

    @contextmanager
    def failing(self, kind: FailureKind) -> Iterator[None]:
        self.sandbox.controls.update({"fault": "server" if kind == "transient" else "client"})
        try:
            yield
        finally:
            self.sandbox.controls.reset()


class TestSoapConnectorContract(ConnectorContract):
    @pytest.fixture
    def agency(self) -> Iterator[SoapAgency]:
        clock = ManualClock()
        sandbox = SoapSandbox(step_seconds=STEP, clock=clock, users={USER: PASSWORD})
        with BackgroundServer(sandbox.app()) as server:
            yield SoapAgency(sandbox, clock, server)
        clients.forget_clients()

    @pytest.fixture
    def make_referral(self, frozen_clock: FrozenClock) -> ReferralFactory:
        # The WSDL's own fields; the connector writes the reference into ReferenceNo itself.
        return ReferralFactory(
            frozen_clock, AGREEMENT["id"], copy.deepcopy(FIELDS), reference_at=None
        )

    @pytest.fixture
    def connector(self, agency: SoapAgency, tmp_path: Path) -> Iterator[SoapConnector]:
        context = ConnectorContext(
            AGREEMENT["id"],
            AGREEMENT["mapping"],
            AGREEMENT["status_map"],
            Path(__file__).resolve().parents[2] / "config",
            tmp_path / "cache",
        )
        connector = SoapConnector(settings_for(agency.server), context)
        yield connector
        connector.close()
