"""What the intake stores, on PostgreSQL and on SQLite (the embedded demo's database): the
request, its referrals due for delivery at once, their events in order and the citizen's message,
in the caller's one transaction; and what it hands back stays usable after the commit."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.core.states import ReferralState, RequestStatus
from hub.db.models import Event, Referral, Request
from hub.db.models_deadlines import Notification
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.intake.referrals import create_referrals
from hub.intake.submit import IntakeResult, submit_request
from hub.referrals.events import insert_events
from tests.support.requests import citizen_request


def _submit(url: str, raw: dict) -> IntakeResult:
    with session_scope(url) as session:
        return submit_request(session, raw, get_registry(), get_settings())


def _event_kinds(url: str, request_id: int) -> list[tuple[str, int | None]]:
    with session_scope(url) as session:
        events = session.scalars(
            select(Event).where(Event.request_id == request_id).order_by(Event.id)
        )
        return [(event.kind, event.referral_id) for event in events]


def test_a_request_is_stored_with_its_referral_due_at_once_and_their_events_in_order(
    database_url: str,
) -> None:
    before = utcnow()
    with session_scope(database_url) as session:
        result = submit_request(session, citizen_request(), get_registry(), get_settings())
        request, (referral,) = result.request, result.referrals
        # Read back in the intake's own transaction: once it commits, a running worker may take
        # the referral at once (it is due), and move it on.
        columns = (Referral.request_id, Referral.next_attempt_at, Referral.state)
        stored = session.execute(
            select(*columns, Referral.result_due_at).where(Referral.id == referral.id)
        ).one()
        assert stored.request_id == request.id and stored.state == ReferralState.PENDING
        assert before <= stored.next_attempt_at <= utcnow()  # due now: no dispatch lease
        assert stored.result_due_at == referral.result_due_at
        null_receipt = select(Referral.id).where(Referral.receipt.is_(None))
        assert session.scalar(null_receipt.where(Referral.id == referral.id)) == referral.id
        document = select(Request.document).where(Request.id == request.id)
        assert session.scalar(document) == request.document
        messages = session.scalars(
            select(Notification.kind).where(Notification.request_id == request.id)
        ).all()
        assert messages == ["citizen_intake"]
    # Committed and closed: what came back is still whole, nothing left to load.
    assert request.status == RequestStatus.REFERRED
    assert referral.reference == f"{request.tracking_code}-1"
    assert referral.request is request and request.referrals == [referral]
    assert referral.state == ReferralState.PENDING and referral.attempts == 0
    # The intake's own events, first and in order (a worker may have added its own since).
    assert _event_kinds(database_url, request.id)[:2] == [
        ("request.received", None),
        ("referral.created", referral.id),
    ]


def test_a_change_to_a_returned_referral_is_written_by_the_callers_commit(
    database_url: str,
) -> None:
    with session_scope(database_url) as session:
        result = submit_request(session, citizen_request(), get_registry(), get_settings())
        result.referrals[0].last_error = "changed by the caller"
    with session_scope(database_url) as session:
        assert session.get_one(Referral, result.referrals[0].id).last_error == (
            "changed by the caller"
        )


def test_nothing_of_an_intake_is_stored_when_the_callers_transaction_rolls_back(
    database_url: str,
) -> None:
    raw = citizen_request()
    with pytest.raises(RuntimeError), session_scope(database_url) as session:
        submit_request(session, raw, get_registry(), get_settings())
        raise RuntimeError("the caller fails before its commit")
    national_id = raw["citizen"]["national_id"]
    with session_scope(database_url) as session:
        query = select(Request.id).where(Request.citizen_national_id == national_id)
        assert session.scalars(query).all() == []


def test_a_duplicate_and_a_request_nobody_covers_get_their_own_events(database_url: str) -> None:
    first = citizen_request()
    original = _submit(database_url, first)
    again = _submit(database_url, citizen_request(citizen=first["citizen"]))
    assert again.duplicate_of is not None
    assert again.duplicate_of.tracking_code == original.request.tracking_code
    assert again.request.status == RequestStatus.DUPLICATE and again.referrals == []
    assert again.request.duplicate_of_id == original.request.id
    assert _event_kinds(database_url, again.request.id) == [
        ("request.received", None),
        ("request.duplicate", None),
    ]
    uncovered = citizen_request(category="roads.pothole")
    nobody = _submit(database_url, uncovered)
    assert nobody.request.status == RequestStatus.TRIAGE and nobody.referrals == []
    assert nobody.request.triage_reason == "no agreement covers it"
    assert _event_kinds(database_url, nobody.request.id) == [
        ("request.received", None),
        ("request.triage", None),
    ]
    nobody_again = _submit(database_url, citizen_request(**uncovered)).request
    with session_scope(database_url) as session:
        stored = session.get_one(Request, nobody_again.id)
        assert (stored.status, stored.triage_reason) == (RequestStatus.DUPLICATE, None)
        assert stored.duplicate_of_id == nobody.request.id


def test_referrals_written_together_each_get_their_own_id(database_url: str) -> None:
    first = _submit(database_url, citizen_request())
    agreements = sorted(get_registry().all(), key=lambda a: a.id)[:3]
    assert len(agreements) >= 2  # one INSERT of several rows
    with session_scope(database_url) as session:
        request = session.get_one(Request, first.request.id)
        referrals, events = create_referrals(session, request, agreements, first=2)
        insert_events(session, events)
    assert [r.reference for r in referrals] == [
        f"{request.tracking_code}-{n}" for n in range(2, 2 + len(agreements))
    ]
    with session_scope(database_url) as session:
        for referral, agreement in zip(referrals, agreements, strict=True):
            stored = session.get_one(Referral, referral.id)
            assert (stored.reference, stored.agreement_id) == (referral.reference, agreement.id)
    # (A running worker may have added its own events for them since: only creations here.)
    kinds = _event_kinds(database_url, request.id)
    created = [(k, i) for k, i in kinds if k == "referral.created"]
    assert created == [("referral.created", r.id) for r in [*first.referrals, *referrals]]
