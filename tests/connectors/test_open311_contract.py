"""The Open311 connector keeps the connector contract (hub.testing) against the Open311 sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from connectors.open311.connector import Open311Connector
from hub.sandbox.open311 import Open311SandboxApp, Open311SandboxSettings, running_open311_sandbox
from hub.testing import ConnectorContract, FrozenClock, ReferralFactory
from hub.testing.agency import FailureKind
from hub.testing.referrals import DEFAULT_FIELDS, connector_context

API_KEY = "contract-open311-key"
REFERENCE_AT = "attribute[samad_reference]"  # the attribute the sandbox keeps unique


class Open311Agency:
    """The Open311 sandbox as the contract drives it: its store counts, a test closes requests."""

    statuses = ("open", "closed")

    def __init__(self, app: Open311SandboxApp, url: str) -> None:
        self.app, self.url = app, url

    def advance(self, external_id: str) -> None:
        self.app.store.move(external_id, "closed", "رسیدگی شد.")

    def cases_for(self, reference: str) -> int:
        return sum(r.value(REFERENCE_AT) == reference for r in self.app.store.all())

    @contextmanager
    def failing(self, kind: FailureKind) -> Iterator[None]:
        self.app.faults.fail_next(503 if kind == "transient" else 400, count=10_000)
        try:
            yield
        finally:
            self.app.faults.reset()


class TestOpen311ConnectorContract(ConnectorContract):
    @pytest.fixture
    def agency(self) -> Iterator[Open311Agency]:
        with running_open311_sandbox(Open311SandboxSettings(api_key=API_KEY)) as (app, server):
            yield Open311Agency(app, f"{server.url}/open311/v2")

    @pytest.fixture
    def make_referral(self, frozen_clock: FrozenClock) -> ReferralFactory:
        fields = {**DEFAULT_FIELDS, "address_string": "جاده گرگان به آق‌قلا، کیلومتر ۱۲"}
        return ReferralFactory(frozen_clock, fields=fields, reference_at=REFERENCE_AT)

    @pytest.fixture
    def connector(self, agency: Open311Agency, tmp_path: Path) -> Iterator[Open311Connector]:
        settings = {
            "endpoint": agency.url,
            "api_key": API_KEY,
            "services": {"*": {"service_code": "RD-OTHER"}},
        }
        # The mapping that would give the fields above: check() reads it for a location.
        context = connector_context(tmp_path, mapping={"address_string": "location.address"})
        connector = Open311Connector(settings, context)
        yield connector
        connector.close()
