"""The kit's pytest fixtures, loaded by pytest wherever samad-hub is installed (entry point
``pytest11``): a clock, referrals, and the agreement as a connector sees it."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.plugins.connector import ConnectorContext
from hub.testing.clock import FrozenClock
from hub.testing.referrals import ReferralFactory, connector_context


@pytest.fixture
def frozen_clock() -> FrozenClock:
    """A clock standing still at a Tehran working morning until the test moves it."""
    return FrozenClock()


@pytest.fixture
def make_referral(frozen_clock: FrozenClock) -> ReferralFactory:
    """``make_referral(**fields)``: a new OutgoingReferral, its deadlines from ``frozen_clock``."""
    return ReferralFactory(frozen_clock)


@pytest.fixture
def samad_connector_context(tmp_path: Path) -> ConnectorContext:
    """The agreement as a connector sees it (no mapping or status map), rooted in ``tmp_path``."""
    return connector_context(tmp_path)
