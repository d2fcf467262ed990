"""The kit for connector authors: the contract every connector keeps, as a pytest suite, and the
fixtures it runs on (a referral, the agreement as a connector sees it, a clock).

A connector package subclasses :class:`ConnectorContract` in its own tests and gives it two
fixtures — ``connector`` (an instance set up against a test system of the agency) and ``agency``
(an :class:`AgencyUnderTest`: what the test may ask and do at that system). The fixtures come from
:mod:`hub.testing.plugin`, which pytest loads by itself wherever samad-hub is installed.
May import: every room below hub.web (it stands beside hub.cli, for test code only).
"""

from hub.testing.agency import AgencyUnderTest
from hub.testing.clock import FrozenClock
from hub.testing.contract import ConnectorContract
from hub.testing.referrals import ReferralFactory, connector_context, sample_request

__all__ = [
    "AgencyUnderTest",
    "ConnectorContract",
    "FrozenClock",
    "ReferralFactory",
    "connector_context",
    "sample_request",
]
