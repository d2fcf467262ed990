"""Deliveries by the batch: one claim, pushes side by side, one settle — and every referral's own
outcome, events and attempt, as if it had been delivered alone.

The referrals here are made due only in a year, so the running worker's sweeps leave them to the
test, which delivers them by id.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from hub.agreements.registry import AgreementRegistry, get_registry
from hub.core.settings import get_settings
from hub.db.models import DeliveryAttempt, Event, Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.delivery.batch import DeliveryOutcome, _claim, _push_all, deliver_referrals
from hub.delivery.breaker import get_breakers, shared_redis
from hub.delivery.dispatch import WAKE_KEY, clear_wake, keep_wake, take_wake
from hub.delivery.gate import admit_batch, breaker_for
from hub.delivery.settle import settle
from hub.intake.submit import submit_request
from hub.plugins.manager import plugins
from hub.worker.tasks import wake_deliveries
from tests.support.fixtures import PUSHES, Sandboxes
from tests.support.requests import citizen_request

FAR = utcnow() + timedelta(days=365)


def _referrals(count: int) -> list[int]:
    ids = []
    for _ in range(count):
        with session_scope() as session:  # due in a year from the start: no worker sees it due
            result = submit_request(session, citizen_request(), get_registry(), get_settings())
            referral_id = result.referrals[0].id
            update_far = update(Referral).where(Referral.id == referral_id)
            session.execute(update_far.values(next_attempt_at=FAR))
            ids.append(referral_id)
    return ids


def _rows(ids: list[int]) -> dict[int, Referral]:
    with session_scope() as session:
        return {r.id: r for r in session.scalars(select(Referral).where(Referral.id.in_(ids)))}


def _moves(referral_id: int) -> list[tuple[str | None, str | None]]:
    with session_scope() as session:
        events = session.scalars(
            select(Event)
            .where(Event.referral_id == referral_id, Event.kind == "referral.state_changed")
            .order_by(Event.id)
        )
        return [(e.from_state, e.to_state) for e in events]


def test_a_batch_delivers_each_referral_with_its_own_events_and_attempt(
    database: str, clean_sandboxes: Sandboxes
) -> None:
    ids = _referrals(25)  # more than a batch of 16 rows: the arrays path of the bulk inserts
    before = clean_sandboxes.water.tickets.stats().tickets
    versions = {i: r.version for i, r in _rows(ids).items()}
    outcomes = deliver_referrals(ids, get_registry(), get_settings(), worker="test")
    assert outcomes == [DeliveryOutcome.DELIVERED] * 25
    assert clean_sandboxes.water.tickets.stats().tickets == before + 25
    rows = _rows(ids)
    for referral_id in ids:
        referral = rows[referral_id]
        assert referral.state == "delivered"
        assert referral.external_id
        assert referral.attempts == 1
        assert referral.version == versions[referral_id] + 2  # two compare-and-set moves
        assert referral.delivered_at is not None and referral.next_poll_at is not None
        assert _moves(referral_id) == [("pending", "delivering"), ("delivering", "delivered")]
    with session_scope() as session:
        attempts = session.scalars(
            select(DeliveryAttempt).where(DeliveryAttempt.referral_id.in_(ids))
        ).all()
    assert sorted(a.referral_id for a in attempts) == sorted(ids)
    assert {(a.number, a.outcome, a.worker) for a in attempts} == {(1, "delivered", "test")}
    assert all(a.finished_at and a.duration_ms is not None for a in attempts)


def _slow_retries(directory: Path) -> AgreementRegistry:
    shared = Path(os.environ["SAMAD_AGREEMENTS_DIR"]) / "golestan-water.yaml"
    text = shared.read_text(encoding="utf-8")
    text = re.sub(r"backoff_seconds: [\d.]+", "backoff_seconds: 3600", text)
    text = re.sub(r"backoff_max_seconds: [\d.]+", "backoff_max_seconds: 3600", text)
    (directory / "golestan-water.yaml").write_text(text, encoding="utf-8")
    return AgreementRegistry(directory, plugins(), get_settings())


def test_a_batch_settles_each_outcome_on_its_own_terms(
    database: str, clean_sandboxes: Sandboxes, tmp_path: Path
) -> None:
    ids = _referrals(5)
    # In the first batch one push fails for now, in the second one is refused for good. Which
    # referral gets the fault depends on the order the pushes reach the agency.
    # This test's own copy of the agreement: a retry waits at least half an hour, so the running
    # worker (whose copy retries in a second) does not push it meanwhile.
    registry, settings = _slow_retries(tmp_path), get_settings()
    clean_sandboxes.water.faults.set("error500", 1, 0, **PUSHES)
    outcomes = deliver_referrals(ids[:3], registry, settings)
    clean_sandboxes.water.faults.set("reject400", 1, 0, **PUSHES)
    outcomes += deliver_referrals(ids[3:], registry, settings)
    registry.close()
    clean_sandboxes.water.faults.reset()
    assert Counter(outcomes) == Counter(
        {DeliveryOutcome.DELIVERED: 3, DeliveryOutcome.FAILED: 1, DeliveryOutcome.RETRY: 1}
    )
    rows = _rows(ids)
    states = Counter(r.state for r in rows.values())
    assert states == Counter({"delivered": 3, "delivery_failed": 1, "pending": 1})
    failed = next(r for r in rows.values() if r.state == "delivery_failed")
    retried = next(r for r in rows.values() if r.state == "pending")
    assert failed.last_error.startswith("permanent error: ")
    assert retried.attempts == 1 and retried.next_attempt_at > utcnow() + timedelta(minutes=29)
    with session_scope() as session:
        kinds = {
            referral_id: [
                e.kind
                for e in session.scalars(
                    select(Event).where(Event.referral_id == referral_id).order_by(Event.id)
                )
            ]
            for referral_id in (failed.id, retried.id)
        }
    assert kinds[failed.id][-2:] == ["referral.state_changed", "alert"]
    assert kinds[retried.id][-2:] == ["referral.state_changed", "delivery.retry_scheduled"]
    assert _moves(failed.id)[-1] == ("delivering", "delivery_failed")
    assert _moves(retried.id)[-1] == ("delivering", "pending")


def test_a_referral_moved_while_its_batch_was_pushed_is_settled_on_its_own(
    database: str, clean_sandboxes: Sandboxes
) -> None:
    ids = _referrals(3)
    registry, settings = get_registry(), get_settings()
    claims, _ = _claim(registry, settings, "test", [Referral.id.in_(ids)], 3, None)
    assert len(claims) == 3
    pushed = _push_all(claims, registry, settings)
    moved = claims[0].referral.id
    with session_scope() as session:  # its lease ran out meanwhile and the sweep took it back
        session.execute(
            update(Referral)
            .where(Referral.id == moved)
            .values(state="pending", version=Referral.version + 1, next_attempt_at=FAR)
        )
    outcomes = settle(pushed, settings)
    assert sorted(outcomes) == sorted(
        [DeliveryOutcome.NOT_DUE, DeliveryOutcome.DELIVERED, DeliveryOutcome.DELIVERED]
    )
    rows = _rows(ids)
    assert rows[moved].state == "pending"  # the batch did not overwrite the other move
    assert [rows[i].state for i in ids[1:]] == ["delivered", "delivered"]


@pytest.mark.usefixtures("broker")
def test_a_wake_takes_the_first_slot_and_a_call_for_help_the_others() -> None:
    agreement = "wake-test-agency"
    slots = get_settings().delivery_tasks_per_agency
    assert slots == 2  # the default: a busy agency may use two workers at once
    for slot in range(slots):
        clear_wake(agreement, slot)
    first = take_wake(agreement)
    assert first is not None and first.slot == 0 and first.token
    assert take_wake(agreement) is None  # a task is on its way: new referrals join its batch
    helper = take_wake(agreement, helper=True)
    assert helper is not None and helper.slot == 1  # its full batch calls for help
    assert take_wake(agreement, helper=True) is None  # every slot taken
    flags = shared_redis()
    assert flags is not None
    ttl = flags.ttl(WAKE_KEY.format(agreement))
    assert 0 < ttl <= get_settings().dispatch_lease_seconds  # a lost task's flag runs out
    clear_wake(agreement, 0, first.token)
    again = take_wake(agreement)
    assert again is not None and again.slot == 0  # the slot given back is taken again
    assert again.token != first.token
    for slot in range(slots):
        clear_wake(agreement, slot)


@pytest.mark.usefixtures("broker")
def test_waking_an_agency_twice_sends_one_task(monkeypatch: pytest.MonkeyPatch) -> None:
    sent: list[tuple[str, int]] = []
    from hub.worker import tasks

    monkeypatch.setattr(tasks.deliver_due_task, "delay", lambda *args: sent.append(args[:2]))
    for name in ("agency-a", "agency-b"):
        for slot in range(2):
            clear_wake(name, slot)
    assert wake_deliveries(["agency-a", "agency-b"]) == 2
    assert wake_deliveries(["agency-a"]) == 0  # its task is on its way
    assert wake_deliveries(["agency-a"], helper=True) == 1  # a backlog: a second task
    assert wake_deliveries(["agency-a"], helper=True) == 0  # both slots held
    clear_wake("agency-a", 0)  # its first task ended
    assert wake_deliveries(["agency-a", "agency-b"]) == 1
    assert sent == [("agency-a", 0), ("agency-b", 0), ("agency-a", 1), ("agency-a", 0)]
    for name in ("agency-a", "agency-b"):
        for slot in range(2):
            clear_wake(name, slot)


@pytest.mark.usefixtures("broker")
def test_a_wake_that_could_not_be_sent_leaves_no_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    from hub.worker import tasks

    def broker_down(agreement_id: str, slot: int, token: str) -> None:
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.deliver_due_task, "delay", broker_down)
    clear_wake("agency-c")
    assert wake_deliveries(["agency-c"]) == 0
    wake = take_wake("agency-c")
    assert wake is not None and wake.slot == 0  # the next wake (the sweep's) sends it, again
    clear_wake("agency-c")


@pytest.mark.usefixtures("broker")
def test_a_running_delivery_task_keeps_its_slot_until_nothing_is_due_and_calls_help_on_a_backlog(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While it finds work it holds its slot, so intake's wakes join its next batches; a full
    batch (a backlog) wakes the agency's second slot, once; the task gives its slot back only
    when a claim finds nothing, then claims once more."""
    from hub.worker import tasks

    agreement = "busy-agency"
    D = DeliveryOutcome.DELIVERED
    rounds = [[D] * 20, [D] * 3, [], [D], [], []]
    slot_held_at_claim: list[bool] = []
    helpers: list[tuple[object, ...]] = []
    flags = shared_redis()
    assert flags is not None

    def claim(agreement_id: str, *args: object, **kwargs: object) -> list[DeliveryOutcome]:
        assert agreement_id == agreement
        slot_held_at_claim.append(bool(flags.exists(WAKE_KEY.format(agreement))))
        return rounds.pop(0)

    monkeypatch.setattr(tasks, "deliver_due", claim)
    monkeypatch.setattr(tasks.deliver_due_task, "delay", lambda *args: helpers.append(args))
    for slot in range(2):
        clear_wake(agreement, slot)
    wake = take_wake(agreement)  # the wake that sent this task
    assert wake is not None and wake.slot == 0
    assert tasks.deliver_due_task(agreement, 0, wake.token) == 24
    # Held through the full rounds; given back from the first empty claim on; the claim after
    # that found one more, so the task went on until two claims in a row found nothing.
    assert slot_held_at_claim == [True, True, True, False, False, False]
    assert rounds == []
    assert [h[:2] for h in helpers] == [(agreement, 1)]  # the full batch called in a second
    assert not flags.exists(WAKE_KEY.format(agreement))  # nothing of its own left set
    clear_wake(agreement, 1)


@pytest.mark.usefixtures("broker")
def test_a_task_that_outlived_its_flag_leaves_the_newer_tasks_slot_alone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A task stalled past its flag's lifetime: a wake meanwhile gave the slot to a newer task.
    When the old task ends (or fails) it must not free that slot — one more task than the
    agreement allows would run — and it cannot renew it."""
    from hub.worker import tasks

    agreement = "outlived-agency"
    flags = shared_redis()
    assert flags is not None
    clear_wake(agreement, 0)
    old = take_wake(agreement)
    assert old is not None
    flags.delete(WAKE_KEY.format(agreement))  # its lifetime ran out while it stalled
    new = take_wake(agreement)
    assert new is not None and new.slot == 0 and new.token != old.token

    clear_wake(agreement, 0, old.token)  # the old task gives "its" slot back
    assert flags.get(WAKE_KEY.format(agreement)) == new.token.encode()  # still the new one's
    assert not keep_wake(agreement, 0, old.token)
    assert keep_wake(agreement, 0, new.token)

    D = DeliveryOutcome.DELIVERED
    rounds: list[list[DeliveryOutcome]] = [[D], [], []]
    monkeypatch.setattr(tasks, "deliver_due", lambda *args, **kwargs: rounds.pop(0))
    monkeypatch.setattr(tasks.deliver_due_task, "delay", lambda *args: None)
    assert tasks.deliver_due_task(agreement, 0, old.token) == 1  # the old task, run to its end
    assert flags.get(WAKE_KEY.format(agreement)) == new.token.encode()

    def claim_fails(*args: object, **kwargs: object) -> list[DeliveryOutcome]:
        raise RuntimeError("database gone")

    monkeypatch.setattr(tasks, "deliver_due", claim_fails)
    with pytest.raises(RuntimeError):
        tasks.deliver_due_task(agreement, 0, old.token)  # or failing on its way out
    assert flags.get(WAKE_KEY.format(agreement)) == new.token.encode()

    clear_wake(agreement, 0, new.token)  # its holder frees it
    assert not flags.exists(WAKE_KEY.format(agreement))


@pytest.mark.usefixtures("broker")
def test_a_probe_goes_to_the_due_referral_with_the_fewest_attempts(
    database: str, sandboxes: Sandboxes, tmp_path: Path
) -> None:
    """Probes into an agency still down are spread over its referrals: always probing with the
    oldest one used up its attempts while the others waited (the breaker test found it)."""
    shared = Path(os.environ["SAMAD_AGREEMENTS_DIR"]) / "golestan-water.yaml"
    text = shared.read_text(encoding="utf-8").replace("id: golestan-water", "id: probe-test")
    (tmp_path / "probe-test.yaml").write_text(text, encoding="utf-8")
    registry = AgreementRegistry(tmp_path, plugins(), get_settings())
    agreement, settings = registry.get("probe-test"), get_settings()
    breaker = breaker_for(agreement, settings)
    long_ago = time.time() - 3600
    for _ in range(breaker.policy.failure_threshold):  # opened an hour ago: due to probe now
        breaker.record(transient_failure=True, now=long_ago)
    due = utcnow() - timedelta(minutes=5)
    referrals = [
        Referral(id=1, attempts=3, next_attempt_at=due),
        Referral(id=2, attempts=1, next_attempt_at=due + timedelta(minutes=1)),
        Referral(id=3, attempts=1, next_attempt_at=due + timedelta(minutes=2)),
    ]
    try:
        with session_scope() as session:
            probe = admit_batch(session, referrals, agreement, settings)
            assert [r.id for r in probe] == [2]  # fewest attempts, then longest due
            assert admit_batch(session, referrals, agreement, settings) == []  # probing now
    finally:
        get_breakers().reset("probe-test")
        registry.close()
