"""The connector contract as tests: what the hub's core relies on from every connector.

Subclass it in a connector package's tests, give it ``connector`` and ``agency`` fixtures, and
pytest runs every check below against the agency's test system::

    class TestTicketBoxConnector(ConnectorContract):
        @pytest.fixture
        def agency(self): ...       # an AgencyUnderTest for a running test system
        @pytest.fixture
        def connector(self, agency, samad_connector_context): ...

Each failure says what the core would get wrong and what to change in the connector.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar, TypeVar

import jsonschema
import pytest

from hub.core.errors import ConnectorError
from hub.plugins.connector import AgencyUpdate, Connector, Health, OutgoingReferral, Receipt
from hub.testing.agency import AgencyUnderTest
from hub.testing.referrals import ReferralFactory

T = TypeVar("T")
EDGE = (
    "translate the agency's errors into hub.core.errors.ConnectorError(message, permanent=...) "
    "at the connector's edge, with `raise ConnectorError(...) from exc`"
)


def _raised(call: Callable[[], Any]) -> BaseException | None:
    try:
        call()
    except Exception as exc:
        return exc
    return None


def _connector_error(call: Callable[[], Any], what: str) -> ConnectorError:
    error = _raised(call)
    assert error is not None, f"{what} succeeded while the agency was failing"
    assert isinstance(error, ConnectorError), (
        f"{what} let {type(error).__name__}({error}) escape, which the core treats as a crash; "
        f"{EDGE}"
    )
    return error


class ConnectorContract:
    """Every check the hub's core relies on. Class attributes tune it to the agency."""

    #: Pushes made at once by the thread-safety check (the core's default is 8 per worker).
    threads: ClassVar[int] = 8
    #: Why polls cannot be made to fail at this agency's test system (None: they can), e.g. a
    #: local Maildir; the poll-failure check is skipped with this reason.
    poll_cannot_fail: ClassVar[str | None] = None

    @pytest.fixture
    def connector(self) -> Connector:
        pytest.fail(
            "ConnectorContract needs a `connector` fixture: define one in your test class that "
            "returns your connector, set up against the agency's test system"
        )

    @pytest.fixture
    def agency(self) -> AgencyUnderTest:
        pytest.fail(
            "ConnectorContract needs an `agency` fixture: define one in your test class that "
            "returns an hub.testing.AgencyUnderTest for the agency's test system"
        )

    def test_the_type_names_its_kind_and_a_valid_settings_schema(
        self, connector: Connector
    ) -> None:
        kind = getattr(type(connector), "kind", None)
        assert isinstance(kind, str) and kind, (
            "set `kind` on the connector class: the name agreements write in connector.type"
        )
        schema = getattr(type(connector), "settings_schema", None)
        assert isinstance(schema, dict), "set `settings_schema` on the class: a JSON Schema dict"
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as exc:
            pytest.fail(f"settings_schema is not a valid JSON Schema: {exc.message}")

    def test_push_returns_the_agencys_reference_for_one_new_case(
        self, connector: Connector, agency: AgencyUnderTest, make_referral: ReferralFactory
    ) -> None:
        referral = make_referral()
        receipt = connector.push(referral)
        assert isinstance(receipt, Receipt), (
            f"push returned {type(receipt).__name__}: return a hub.plugins.connector.Receipt"
        )
        assert receipt.referral_id == referral.referral_id, (
            "the receipt names another referral: copy referral.referral_id into it"
        )
        assert isinstance(receipt.external_id, str) and receipt.external_id.strip(), (
            f"push returned no external_id ({receipt.external_id!r}): without the agency's own "
            "id for the case the core cannot poll it; read it from the agency's answer"
        )
        cases = agency.cases_for(referral.reference)
        assert cases == 1, f"one push left {cases} cases at the agency for {referral.reference}"

    def test_a_second_push_of_a_referral_lands_on_the_same_case(
        self, connector: Connector, agency: AgencyUnderTest, make_referral: ReferralFactory
    ) -> None:
        referral = make_referral()
        first = connector.push(referral)
        again = connector.push(dataclasses.replace(referral, attempt=2))
        assert again.external_id == first.external_id, (
            f"a retried push opened {again.external_id!r} beside {first.external_id!r}: send "
            "referral.idempotency_key where the agency de-duplicates (a header, a unique field)"
        )
        cases = agency.cases_for(referral.reference)
        assert cases == 1, f"two pushes of one referral left {cases} cases at the agency"

    def test_poll_reports_each_status_of_a_case_as_the_agency_says_it(
        self, connector: Connector, agency: AgencyUnderTest, make_referral: ReferralFactory
    ) -> None:
        referral = make_referral()
        receipt = connector.push(referral)
        assert agency.statuses, "the agency fixture names no statuses: list those a case passes"
        silent = getattr(agency, "silent_until_advanced", False)
        for step, expected in enumerate(agency.statuses):
            if step or silent:
                agency.advance(receipt.external_id)
            updates = connector.poll([receipt])
            assert all(isinstance(u, AgencyUpdate) for u in updates), (
                "poll must return a list of hub.plugins.connector.AgencyUpdate"
            )
            mine = [u for u in updates if _names(u, receipt, referral) and u.status]
            assert mine, (
                f"poll said nothing of a case the agency holds at {expected!r} (an update names "
                "its case by external_id, as in the receipt, or by referral_reference)"
            )
            assert mine[-1].status == expected, (
                f"poll reported {mine[-1].status!r} while the agency's case is at {expected!r}: "
                "return the agency's own status untouched (the agreement's status_map maps it)"
            )
            assert all(u.update_id for u in mine), "every update needs an update_id"
            again = [u for u in connector.poll([receipt]) if _names(u, receipt, referral)]
            assert {u.update_id for u in again if u.status == expected} <= {
                u.update_id for u in mine
            }, (
                "the same status, asked twice, came back under a new update_id: the core stores "
                "updates by id, so derive it from the agency's own event (its id, or the case "
                "and status and time)"
            )
            connector.acknowledge(updates)

    def test_an_agency_that_is_down_gives_a_retryable_error(
        self, connector: Connector, agency: AgencyUnderTest, make_referral: ReferralFactory
    ) -> None:
        referral = make_referral()
        with agency.failing("transient"):
            error = _connector_error(lambda: connector.push(referral), "push")
        assert not error.permanent, (
            f"push called a passing failure ({error.message}) permanent: the referral would be "
            "dead-lettered instead of retried; raise ConnectorError(..., permanent=False)"
        )

    def test_a_request_the_agency_refuses_gives_an_error_not_retried(
        self, connector: Connector, agency: AgencyUnderTest, make_referral: ReferralFactory
    ) -> None:
        referral = make_referral()
        with agency.failing("permanent"):
            error = _connector_error(lambda: connector.push(referral), "push")
        assert error.permanent, (
            f"push called a refusal ({error.message}) transient: the core would retry it until "
            "its attempts run out; raise ConnectorError(..., permanent=True)"
        )

    def test_a_failing_poll_gives_a_connector_error(
        self, connector: Connector, agency: AgencyUnderTest, make_referral: ReferralFactory
    ) -> None:
        if self.poll_cannot_fail:
            pytest.skip(self.poll_cannot_fail)
        receipt = connector.push(make_referral())
        with agency.failing("transient"):
            error = _connector_error(lambda: connector.poll([receipt]), "poll")
        assert not error.permanent, f"poll called a passing failure permanent: {error.message}"

    def test_push_is_safe_from_several_threads_at_once(
        self, connector: Connector, agency: AgencyUnderTest, make_referral: ReferralFactory
    ) -> None:
        referrals = [make_referral() for _ in range(self.threads * 2)]
        with ThreadPoolExecutor(self.threads) as pool:
            receipts = list(pool.map(connector.push, referrals))
        assert [r.referral_id for r in receipts] == [r.referral_id for r in referrals], (
            "receipts came back for other referrals than pushed: keep no per-push state on self"
        )
        assert len({r.external_id for r in receipts}) == len(referrals), (
            "pushes from several threads shared a case id: the core pushes a batch side by side"
        )
        for referral in referrals:
            cases = agency.cases_for(referral.reference)
            assert cases == 1, f"{referral.reference}: {cases} cases after concurrent pushes"
        same = referrals[0]
        with ThreadPoolExecutor(self.threads) as pool:
            again = set(pool.map(lambda _: connector.push(same).external_id, range(self.threads)))
        assert again == {receipts[0].external_id}, (
            f"the same referral pushed from several threads at once gave {sorted(again)}"
        )

    def test_check_says_a_working_agency_is_healthy(self, connector: Connector) -> None:
        health = connector.check()
        assert isinstance(health, Health), "check must return a hub.plugins.connector.Health"
        assert health.ok, f"check called a working agency unhealthy: {health.detail}"


def _names(update: AgencyUpdate, receipt: Receipt, referral: OutgoingReferral) -> bool:
    return update.external_id == receipt.external_id or (
        update.referral_reference == referral.reference
    )
