"""The daily failure digest, through a real worker and a real SMTP relay.

The digest task runs in a worker of its own (on a queue of its own, so it alone knows this test's
admin address); the digests it records are sent by the run's worker — its notification sweep —
to the run's SMTP relay (``tests/support/notification_fixtures.py``). Every admin gets every
failure, each agency's contact its own; the same day twice mails nobody twice; a relay that
refuses is tried again, and a refusal for good is kept with its error and an alert.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.models import Event
from hub.db.models_deadlines import Notification
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.notifications.failure_digest import send_failure_digests
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, create_app
from hub.sandbox.server import BackgroundServer, free_port
from hub.worker.process import stop_process
from tests.core.waiting import wait_for
from tests.faults.support import write_roads_agreement
from tests.support.notification_fixtures import NotificationSandboxes, Outbox
from tests.support.requests import citizen_request
from tests.support.sweeps import wait_for_sweeps

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def sandbox(database: str, broker: str) -> Iterator[tuple[RestSandboxApp, BackgroundServer]]:
    app = create_app(RestSandboxSettings(step_seconds=0.3, ticket_prefix="DGT"))
    app.faults.set("reject400")  # every push refused for good: each referral fails at once
    with BackgroundServer(app) as server:
        yield app, server


class Agencies:
    """Agreements of this test, each with its own category and contact; removed afterwards."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.paths: list[Path] = []

    def add(self, contact: str) -> tuple[str, str]:
        suffix = uuid.uuid4().hex[:8]
        agreement_id, category = f"roads-dg-{suffix}", f"roads.dg_{suffix}"
        self.paths.append(
            write_roads_agreement(
                Path(os.environ["SAMAD_AGREEMENTS_DIR"]),
                self.url,
                agreement_id,
                category=category,
                contact_email=contact,
                max_attempts=2,
            )
        )
        return agreement_id, category


@pytest.fixture
def agencies(sandbox: tuple[RestSandboxApp, BackgroundServer]) -> Iterator[Agencies]:
    made = Agencies(sandbox[1].url)
    yield made
    for path in made.paths:
        path.unlink()


@pytest.fixture
def relay(notification_sandboxes: NotificationSandboxes) -> Iterator[Refusals]:
    refusals = Refusals(notification_sandboxes.mail)
    yield refusals
    refusals.stop()


class Refusals:
    """Makes the run's SMTP relay answer ``RCPT TO`` for some addresses with a refusal."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.answers: dict[str, list[str]] = {}  # address → the next answers to give, in order
        self.refused: list[str] = []
        # aiosmtpd looks its hooks up on the handler for each new connection.
        outbox.handle_RCPT = self._handle_rcpt  # type: ignore[attr-defined]

    def refuse(self, address: str, *answers: str) -> None:
        self.answers[address] = list(answers)

    async def _handle_rcpt(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if self.answers.get(address):
            answer = self.answers[address].pop(0)
            self.refused.append(f"{address}: {answer}")
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def stop(self) -> None:
        del self.outbox.handle_RCPT  # type: ignore[attr-defined]


def _fail_one(api: httpx.Client, category: str) -> str:
    """A request to ``category``; its referral's reference once delivery_failed."""
    code = api.post("/v1/requests", json=citizen_request(category=category)).json()["tracking_code"]
    body = wait_for(
        lambda: (
            (b := api.get(f"/v1/requests/{code}").json())["referrals"][0]["state"]
            == "delivery_failed"
            and b
        ),
        timeout=30,
        what=f"{code} to fail",
    )
    return body["referrals"][0]["reference"]


def _digest_worker(admin: str, queue: str, log: Path) -> subprocess.Popen[bytes]:
    """A worker on ``queue`` only, whose settings name ``admin`` as the hub's admin; Celery logs
    each task it ran (at INFO), with what it returned."""
    env = {**os.environ, "SAMAD_ADMIN_EMAILS": json.dumps([admin])}
    args = [sys.executable, "-m", "hub", "--log-level", "INFO", "worker", "--pool", "threads"]
    args += ["--concurrency", "1", "--queues", queue, "--loglevel", "INFO"]
    with log.open("ab") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)


def _digest_runs(log: Path) -> list[int]:
    """What each ``hub.failure_digest`` task the worker ran returned: digests it recorded."""
    text = log.read_text(errors="replace")
    return [
        int(n) for n in re.findall(r"hub\.failure_digest\[[^]]+\] succeeded in [^:]+: (\d+)", text)
    ]


def _digests(recipient: str) -> list[Notification]:
    with session_scope() as session:
        rows = session.scalars(
            select(Notification)
            .where(Notification.kind == "failure_digest", Notification.recipient == recipient)
            .order_by(Notification.id)
        ).all()
        session.expunge_all()
        return list(rows)


def _sent(recipient: str) -> bool:
    rows = _digests(recipient)
    return bool(rows) and all(row.status == "sent" for row in rows)


def _text(mail: EmailMessage) -> str:
    return mail.get_content()


def test_the_daily_digest_reaches_every_admin_and_each_agencys_contact_once_a_day(
    api: httpx.Client, agencies: Agencies, notification_sandboxes: NotificationSandboxes
) -> None:
    outbox = notification_sandboxes.mail
    tag = uuid.uuid4().hex[:8]
    admin, water, bridges = (f"{who}-{tag}@golestan111.example" for who in ("admin", "w", "b"))
    first_id, first_category = agencies.add(water)
    second_id, second_category = agencies.add(bridges)
    first, second = _fail_one(api, first_category), _fail_one(api, second_category)
    queue, log = f"digest-{tag}", get_settings().data_dir / f"digest-{free_port()}.log"
    worker = _digest_worker(admin, queue, log)
    try:
        from hub.worker.tasks import failure_digest

        failure_digest.apply_async(queue=queue)  # as beat sends it at SAMAD_FAILURE_DIGEST_AT
        failure_digest.apply_async(queue=queue)  # a second beat, or a retried task
        runs = wait_for(lambda: len(_digest_runs(log)) == 2 and _digest_runs(log), timeout=60)
        for address in (admin, water, bridges):
            wait_for(lambda a=address: _sent(a), timeout=60, what=f"the digest to {address}")
    finally:
        stop_process(worker)
    settings = get_settings().model_copy(update={"admin_emails": [admin]})
    again = send_failure_digests(get_registry(), settings)  # the same day, once more
    wait_for_sweeps("hub.notification_sweep", 3)  # anything recorded again would be sent by now

    assert runs[0] >= 3 and runs[1] == 0  # admin + the two contacts (+ earlier tests' agencies)
    assert again == []
    assert [len(outbox.to(a)) for a in (admin, water, bridges)] == [1, 1, 1]
    to_admin, to_water, to_bridges = (outbox.to(a)[0] for a in (admin, water, bridges))
    assert first in _text(to_admin) and second in _text(to_admin)
    assert first in _text(to_water) and second not in _text(to_water)
    assert second in _text(to_bridges) and first not in _text(to_bridges)
    assert first_id in str(to_water["Subject"]) and second_id in str(to_bridges["Subject"])
    assert "permanent error" in _text(to_water)
    assert "samad-hub referrals resend" in _text(to_admin)
    assert [len(_digests(a)) for a in (admin, water, bridges)] == [1, 1, 1]


def test_a_contact_of_two_agencies_gets_the_digest_of_each(
    api: httpx.Client, agencies: Agencies, notification_sandboxes: NotificationSandboxes
) -> None:
    shared = f"shared-{uuid.uuid4().hex[:8]}@golestan.example"
    first_id, first_category = agencies.add(shared)
    second_id, second_category = agencies.add(shared)
    first, second = _fail_one(api, first_category), _fail_one(api, second_category)

    recorded = send_failure_digests(get_registry(), get_settings())
    wait_for(lambda: len(notification_sandboxes.mail.to(shared)) == 2, timeout=30)

    mine = sorted(d.agreement_id or "" for d in recorded if d.recipient == shared)
    assert mine == sorted([first_id, second_id])
    texts = sorted(_text(m) for m in notification_sandboxes.mail.to(shared))
    assert sum(first in t for t in texts) == 1 and sum(second in t for t in texts) == 1


def test_a_digest_the_relay_refuses_for_now_is_kept_and_sent_again(
    api: httpx.Client,
    agencies: Agencies,
    relay: Refusals,
    notification_sandboxes: NotificationSandboxes,
) -> None:
    contact = f"busy-{uuid.uuid4().hex[:8]}@golestan.example"
    _, category = agencies.add(contact)
    reference = _fail_one(api, category)
    relay.refuse(contact, "451 4.3.0 mailbox busy, try again later")

    send_failure_digests(get_registry(), get_settings())
    wait_for(lambda: _sent(contact), timeout=30, what="the digest sent after all")

    (row,) = _digests(contact)
    assert relay.refused == [f"{contact}: 451 4.3.0 mailbox busy, try again later"]
    assert row.attempts == 2 and row.sent_at is not None
    mails = notification_sandboxes.mail.to(contact)
    assert len(mails) == 1 and reference in _text(mails[0])


def test_a_digest_the_relay_refuses_for_good_stays_failed_with_its_reason_and_an_alert(
    api: httpx.Client,
    agencies: Agencies,
    relay: Refusals,
    notification_sandboxes: NotificationSandboxes,
) -> None:
    contact = f"gone-{uuid.uuid4().hex[:8]}@golestan.example"
    _, category = agencies.add(contact)
    _fail_one(api, category)
    relay.refuse(contact, "550 5.1.1 no such mailbox")

    send_failure_digests(get_registry(), get_settings())
    wait_for(lambda: _digests(contact)[0].status == "failed", timeout=30, what="given up")

    (row,) = _digests(contact)
    assert "550" in (row.last_error or "") and row.attempts == 1
    assert notification_sandboxes.mail.to(contact) == []
    with session_scope() as session:
        alerts = session.scalars(select(Event).where(Event.kind == "alert")).all()
        mine = [a.data for a in alerts if a.data.get("notification") == row.key]
    assert [a["alert"] for a in mine] == ["notification_failed"]
    assert "550" in mine[0]["reason"]


def test_a_day_without_failures_mails_nobody(api: httpx.Client) -> None:
    settings = get_settings().model_copy(update={"admin_emails": ["admin@golestan111.example"]})

    later = send_failure_digests(get_registry(), settings, now=utcnow() + timedelta(days=3))

    assert later == []
