"""A citizen's message is sent once, even when its worker dies between the gateway and "sent".

A worker process hands a recorded notification to the gateway; the gateway takes the message and
holds its answer while the test SIGKILLs the worker, so the row stays ``sending`` and no one knows
the message went. A new worker's sweep finds the lease run out and sends it again:

- the SMS goes again with the same ``localid`` (the notification's id), which the Kavenegar-style
  gateway refuses as a copy: it holds one message for that id and answers the re-send with the
  first message's id, which the hub records;
- an e-mail has no such gateway: the relay takes the second copy too — that is where a citizen
  can get a message twice — but both copies carry one Message-ID (made from the notification's
  key), so the recipient's mail system can drop the second.

The hub here has a database, a Redis and a beat of its own: the run's worker must not send these
messages, and a worker killed together with an embedded beat would leave that beat running. It
has an SMS gateway account of its own too: its notification ids start again at 1, and the run's
gateway, which has taken the run's own messages by those local ids, would answer this hub's
first SMS as a copy of one of them.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.core.settings import REPO_ROOT
from hub.db.models_deadlines import Notification
from hub.db.session import session_scope
from hub.notifications.messages import Rendered
from hub.notifications.outbox import message_row, record_notifications
from hub.sandbox.server import BackgroundServer
from hub.sandbox.sms import SmsGateway, create_app
from hub.worker.process import start_worker, stop_process
from tests.core.waiting import wait_for
from tests.support.notification_env import SMS_API_KEY
from tests.support.notification_fixtures import NotificationSandboxes
from tests.support.private_databases import private_database
from tests.support.private_redis import PrivateRedis

pytestmark = pytest.mark.timeout(120)

LEASE_SECONDS = 3  # a send not settled by then is the sweep's to try again
TEXT = Rendered("درخواست شما ثبت شد", "درخواست شما با کد پیگیری ۱۲۳۴۵ ثبت شد.")


@dataclass
class OwnHub:
    database: str
    logs: Path
    sms: SmsGateway  # this hub's account at the gateway: its local ids are this database's


@pytest.fixture(scope="module")
def own_hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OwnHub]:
    """A database, a Redis, a beat and an SMS gateway of this module's own; workers start in
    each test."""
    root = tmp_path_factory.mktemp("crash")
    (root / "agreements").mkdir()
    gateway = SmsGateway(api_key=SMS_API_KEY)
    redis = PrivateRedis().start()
    try:
        with (
            private_database("postgresql", "crash_notify", root) as database,
            BackgroundServer(create_app(gateway)) as gateway_server,
            pytest.MonkeyPatch.context() as env,
        ):
            env.setenv("SAMAD_SMS_URL", gateway_server.url)
            env.setenv("SAMAD_DATABASE_URL", database)
            env.setenv("SAMAD_BROKER_URL", redis.url)
            env.setenv("SAMAD_REDIS_URL", redis.url)
            env.setenv("SAMAD_DATA_DIR", str(root))
            env.setenv("SAMAD_AGREEMENTS_DIR", str(root / "agreements"))
            env.setenv("SAMAD_NOTIFICATION_LEASE_SECONDS", str(LEASE_SECONDS))
            beat = _start_beat(root)
            try:
                yield OwnHub(database, root, gateway)
            finally:
                stop_process(beat)
    finally:
        redis.kill()


def _start_beat(root: Path) -> subprocess.Popen[bytes]:
    with (root / "beat.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "hub.core.celery_app:app", "beat",
             "--loglevel", "WARNING", f"--schedule={root / 'beat-schedule'}"],
            cwd=REPO_ROOT, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip


def _record(database: str, channel: str, recipient: str) -> int:
    key = f"crash:{uuid.uuid4().hex[:12]}:{channel}"
    with session_scope(database) as session:
        record_notifications(
            session, [message_row(key, "citizen_intake", channel, recipient, TEXT)]
        )
        return session.scalars(select(Notification.id).where(Notification.key == key)).one()


def _row(database: str, notification_id: int) -> Notification:
    with session_scope(database) as session:
        row = session.get_one(Notification, notification_id)
        session.expunge(row)
        return row


def _crash_mid_send(hub: OwnHub, taken: Callable[[], object], name: str) -> None:
    """Start a worker, SIGKILL it once ``taken()`` says the gateway has the message."""
    doomed = start_worker(hub.logs / f"{name}-doomed.log", beat=False, threads=1)
    try:
        wait_for(taken, timeout=45, what=f"the gateway to take the {name}")
    finally:
        doomed.send_signal(signal.SIGKILL)
        doomed.wait()


def _sent_by_a_new_worker(hub: OwnHub, notification_id: int, name: str) -> Notification:
    survivor = start_worker(hub.logs / f"{name}-survivor.log", beat=False, threads=2)
    try:
        wait_for(
            lambda: _row(hub.database, notification_id).status == "sent",
            timeout=45,
            what=f"the new worker to send the {name} again and mark it sent",
        )
    finally:
        stop_process(survivor)
    return _row(hub.database, notification_id)


def test_an_sms_sent_again_after_its_worker_died_mid_send_reaches_the_citizen_once(
    own_hub: OwnHub,
) -> None:
    gateway = own_hub.sms
    mobile = f"0912{random.randrange(10**7):07d}"
    release = gateway.hold_answers_to(mobile)
    notification_id = _record(own_hub.database, "sms", mobile)
    try:
        _crash_mid_send(own_hub, lambda: gateway.to(mobile), "sms")
    finally:
        release.set()
    assert _row(own_hub.database, notification_id).status == "sending"  # no one marked it sent

    row = _sent_by_a_new_worker(own_hub, notification_id, "sms")

    sent = gateway.to(mobile)  # one SMS for the citizen …
    assert len(sent) == 1, f"the gateway sent the citizen {len(sent)} SMS: {sent}"
    [message] = sent
    assert message["localid"] == str(notification_id)
    assert gateway.replayed.get(str(notification_id)) == 1  # … and refused the re-send as a copy
    assert row.attempts == 2
    assert row.provider_ref == str(message["messageid"])  # the re-send got the first message


def test_an_email_sent_again_after_its_worker_died_mid_send_keeps_its_message_id(
    own_hub: OwnHub, notification_sandboxes: NotificationSandboxes
) -> None:
    relay = notification_sandboxes.mail
    address = f"citizen-{uuid.uuid4().hex[:8]}@example.ir"
    release = relay.hold_answers_to(address)
    notification_id = _record(own_hub.database, "email", address)
    try:
        _crash_mid_send(own_hub, lambda: relay.to(address), "email")
    finally:
        release.set()
    assert _row(own_hub.database, notification_id).status == "sending"

    row = _sent_by_a_new_worker(own_hub, notification_id, "email")

    copies = relay.to(address)
    assert len(copies) == 2  # the relay cannot refuse a copy: the citizen's mail system can
    ids = {str(mail["Message-ID"]) for mail in copies}
    assert len(ids) == 1, f"the citizen got two copies as two messages: {sorted(ids)}"
    assert ids == {row.provider_ref}
    assert row.attempts == 2
