"""One case an agency refuses to answer for does not stop the polls of its other cases."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from hub.agreements.registry import get_registry
from hub.core.errors import ConnectorError
from hub.core.settings import get_settings
from hub.db.models import AgencyUpdate as StoredUpdateRow
from hub.db.models import Event, Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery.batch import DeliveryOutcome, deliver_referrals
from hub.delivery.breaker import get_breakers
from hub.intake.submit import submit_request
from hub.plugins.connector import AgencyUpdate, UpdateKind
from hub.polling.poll import poll_referrals
from hub.polling.updates import UpdateOutcome, apply_updates
from hub.referrals.events import AlertKind
from tests.support.fixtures import Sandboxes
from tests.support.referrals import alerts_of
from tests.support.requests import citizen_request

FAR = utcnow() + timedelta(days=365)


def _registered(count: int) -> list[int]:
    ids = []
    for _ in range(count):
        with session_scope() as session:  # due in a year: the running worker leaves them alone
            result = submit_request(session, citizen_request(), get_registry(), get_settings())
            referral_id = result.referrals[0].id
            far = update(Referral).where(Referral.id == referral_id).values(next_attempt_at=FAR)
            session.execute(far)
            ids.append(referral_id)
    return ids


def test_a_batch_refused_for_one_unknown_case_still_brings_the_others(
    database: str, clean_sandboxes: Sandboxes
) -> None:
    registry, settings = get_registry(), get_settings()
    known = _registered(3)
    assert deliver_referrals(known, registry, settings) == [DeliveryOutcome.DELIVERED] * 3
    (unknown,) = _registered(1)
    case = f"WTR-GONE-{uuid.uuid4().hex[:6]}"  # a case the agency's system does not know
    with session_scope() as session:
        session.execute(
            update(Referral)
            .where(Referral.id == unknown)
            .values(state="delivered", external_id=case, next_poll_at=FAR)
        )
        # Polled by this test only.
        session.execute(update(Referral).where(Referral.id.in_(known)).values(next_poll_at=FAR))
    ids = [known[0], unknown, *known[1:]]
    outcomes = poll_referrals("golestan-water", ids, registry)  # the sandbox: 404 for the batch
    assert len(outcomes) == 3  # one update for each known case
    alerts = alerts_of(unknown)
    assert len(alerts) == 1
    assert alerts[0]["alert"] == AlertKind.POLL_REFUSED and alerts[0]["external_id"] == case
    assert "404" in alerts[0]["reason"]
    assert not any(alerts_of(referral_id) for referral_id in known)
    assert len(poll_referrals("golestan-water", ids, registry)) == 3
    assert len(alerts_of(unknown)) == 1  # alerted once, not at every interval


def test_a_connector_that_crashes_in_poll_is_alerted_counted_and_answers_once_it_works(
    database: str, clean_sandboxes: Sandboxes, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry, settings = get_registry(), get_settings()
    known = _registered(2)
    assert deliver_referrals(known, registry, settings) == [DeliveryOutcome.DELIVERED] * 2
    with session_scope() as session:  # polled by this test only
        session.execute(update(Referral).where(Referral.id.in_(known)).values(next_poll_at=FAR))
    connector = registry.connector(registry.get("golestan-water"))

    def crash(receipts: object) -> list[object]:
        raise KeyError("status")  # a connector's bug, not a ConnectorError

    monkeypatch.setattr(connector, "poll", crash)
    breakers = get_breakers()
    breakers.reset("golestan-water")
    try:
        with pytest.raises(ConnectorError) as caught:
            poll_referrals("golestan-water", known, registry)
        assert not caught.value.permanent and "connector crashed" in caught.value.message
        assert breakers.view("golestan-water").failures >= 1  # counted, as a push's crash is
        with session_scope() as session:
            crashes = [
                e.data
                for e in session.scalars(select(Event).where(Event.kind == "alert"))
                if e.data.get("alert") == AlertKind.POLL_CRASHED
                and set(e.data.get("referrals", [])) == set(known)
            ]
        assert len(crashes) == 1 and "KeyError" in crashes[0]["reason"]
    finally:
        breakers.reset("golestan-water")
    monkeypatch.undo()
    assert len(poll_referrals("golestan-water", known, registry)) == 2  # answered once it works


def _delivered_case() -> tuple[int, str]:
    registry, settings = get_registry(), get_settings()
    [referral_id] = _registered(1)
    assert deliver_referrals([referral_id], registry, settings) == [DeliveryOutcome.DELIVERED]
    with session_scope() as session:  # polled by this test only
        session.execute(update(Referral).where(Referral.id == referral_id).values(next_poll_at=FAR))
        external_id = session.get_one(Referral, referral_id).external_id
    assert external_id
    return referral_id, external_id


def test_an_agency_time_without_a_zone_is_read_in_the_agreements_zone(
    database: str, clean_sandboxes: Sandboxes, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = get_registry()
    referral_id, case = _delivered_case()
    connector = registry.connector(registry.get("golestan-water"))
    naive = datetime(2026, 12, 4, 18, 40)  # as Znuny writes "Changed: 2026-12-04 18:40:00"
    seen = AgencyUpdate(f"{case}-zoneless", external_id=case, status="SEEN", occurred_at=naive)
    monkeypatch.setattr(connector, "poll", lambda receipts: [seen])
    assert poll_referrals("golestan-water", [referral_id], registry) == [UpdateOutcome.APPLIED]
    with session_scope() as session:
        stored = session.scalars(
            select(StoredUpdateRow).where(StoredUpdateRow.update_id == f"{case}-zoneless")
        ).one()
        assert stored.occurred_at == datetime(2026, 12, 4, 15, 10, tzinfo=UTC)  # Tehran, UTC+3:30
        assert session.get_one(Referral, referral_id).state == "viewed"


def test_an_update_carrying_a_value_that_cannot_be_stored_is_alerted_and_stops_nothing_else(
    database: str, clean_sandboxes: Sandboxes, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry = get_registry()
    referral_id, case = _delivered_case()
    other_id, other_case = _delivered_case()
    connector = registry.connector(registry.get("golestan-water"))
    bad = AgencyUpdate("x" * 400, external_id=case, status="SEEN")  # too long for its column
    good = AgencyUpdate(f"{other_case}-seen", external_id=other_case, status="SEEN")
    acknowledged: list[list[AgencyUpdate]] = []
    monkeypatch.setattr(connector, "poll", lambda receipts: [bad, good])
    monkeypatch.setattr(connector, "acknowledge", lambda updates: acknowledged.append(updates))
    for _ in range(2):  # the agency says the same again at the next poll
        outcomes = poll_referrals("golestan-water", [referral_id, other_id], registry)
    assert outcomes == [UpdateOutcome.DUPLICATE]  # the good one, applied the first time
    assert acknowledged == [[good], [good]]  # the bad one stays at the agency's side, unforgotten
    alerts = [a for a in alerts_of(referral_id) if a["alert"] == AlertKind.BAD_AGENCY_UPDATE]
    assert len(alerts) == 1 and "could not be stored" in alerts[0]["reason"]
    with session_scope() as session:
        assert session.get_one(Referral, other_id).state == "viewed"
        assert session.get_one(Referral, referral_id).state == "delivered"


def test_an_answer_after_a_bounce_revives_the_referral_and_says_so(
    database: str, clean_sandboxes: Sandboxes
) -> None:
    registry = get_registry()
    referral_id, case = _delivered_case()
    agreement = registry.get("golestan-water")
    bounce = AgencyUpdate(f"{case}-bounce", kind=UpdateKind.BOUNCE, external_id=case, note="550")
    answer = AgencyUpdate(f"{case}-seen", external_id=case, status="SEEN")
    with session_scope() as session:
        assert apply_updates(session, agreement, [bounce], registry) == [UpdateOutcome.BOUNCED]
    with session_scope() as session:
        assert session.get_one(Referral, referral_id).state == "delivery_failed"
    with session_scope() as session:
        assert apply_updates(session, agreement, [answer], registry) == [UpdateOutcome.APPLIED]
    with session_scope() as session:
        assert session.get_one(Referral, referral_id).state == "viewed"
        moves = [
            (e.from_state, e.to_state, e.data.get("reason", ""))
            for e in session.scalars(
                select(Event)
                .where(Event.referral_id == referral_id, Event.kind == "referral.state_changed")
                .order_by(Event.id)
            )
        ]
    assert moves[-2][:2] == ("delivery_failed", "delivered")
    assert "answered about it after all" in moves[-2][2]
    assert moves[-1][:2] == ("delivered", "viewed")


def test_a_reply_that_names_only_the_tracking_code_finds_its_referral(
    database: str, clean_sandboxes: Sandboxes
) -> None:
    from hub.db.models import Request

    registry = get_registry()
    referral_id, _ = _delivered_case()
    with session_scope() as session:
        referral = session.get_one(Referral, referral_id)
        code = session.get_one(Request, referral.request_id).tracking_code
    forwarded = AgencyUpdate(f"{code}-fw", status="SEEN", raw={"tracking_code": code})
    with session_scope() as session:
        outcome = apply_updates(session, registry.get("golestan-water"), [forwarded], registry)
    assert outcome == [UpdateOutcome.APPLIED]
    with session_scope() as session:
        assert session.get_one(Referral, referral_id).state == "viewed"
