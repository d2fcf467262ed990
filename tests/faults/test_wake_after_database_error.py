"""A delivery task that dies on a database error gives its agency's wake flag back.

After a PostgreSQL restart deliveries stalled: the task that died on the database error had left
the flag "a task is on its way" set, so nothing was sent for that agency until the flag ran out.
Here the task runs in a process of its own, against a database of its own (SQLite, migrated), in
which the referral's claim fails for real: a trigger refuses the move to ``delivering``, as a
disk that is full or a server that went away would refuse it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update

from hub.agreements.registry import get_registry
from hub.core.settings import REPO_ROOT, get_settings
from hub.db.models import Referral
from hub.db.session import get_engine, session_scope
from hub.db.types import utcnow
from hub.delivery.breaker import shared_redis
from hub.delivery.dispatch import WAKE_KEY, clear_wake, take_wake
from hub.intake.submit import submit_request
from hub.worker import tasks
from tests.support.fixtures import Sandboxes
from tests.support.private_databases import private_database
from tests.support.requests import citizen_request

REFUSE_DELIVERING = """
CREATE TRIGGER refuse_delivering BEFORE UPDATE OF state ON referrals
WHEN NEW.state = 'delivering'
BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END
"""

RUN_TASK = """
import sys
from hub.worker.tasks import deliver_due_task
try:
    deliver_due_task(sys.argv[1], 0, sys.argv[2])  # the slot's holder, with its token
except Exception as exc:
    print(f"{type(exc).__module__}.{type(exc).__name__}: {exc}")
    raise SystemExit(3)
"""


def _a_due_referral_that_cannot_be_claimed(url: str, agreement: str) -> None:
    with session_scope(url) as session:
        result = submit_request(session, citizen_request(), get_registry(), get_settings())
        due = update(Referral).where(Referral.id == result.referrals[0].id)
        session.execute(
            due.values(agreement_id=agreement, next_attempt_at=utcnow() - timedelta(seconds=1))
        )
    with get_engine(url).begin() as connection:
        connection.execute(text(REFUSE_DELIVERING))


def _run_delivery_task(url: str, agreement: str, token: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SAMAD_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-c", RUN_TASK, agreement, token],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


@pytest.mark.usefixtures("broker")
def test_a_delivery_task_that_died_on_a_database_error_leaves_no_wake_flag(
    sandboxes: Sandboxes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agreement = f"wake-after-db-error-{uuid.uuid4().hex[:8]}"
    flags = shared_redis()
    assert flags is not None
    with private_database("sqlite", "wake", tmp_path) as url:
        _a_due_referral_that_cannot_be_claimed(url, agreement)
        clear_wake(agreement)
        wake = take_wake(agreement)  # the wake that sent the task (its first slot)
        assert wake is not None and wake.slot == 0

        died = _run_delivery_task(url, agreement, wake.token)

    assert died.returncode == 3, died.stderr[-3000:]
    assert "IntegrityError" in died.stdout and "disk is full" in died.stdout
    assert not flags.exists(WAKE_KEY.format(agreement))
    sent: list[tuple[object, ...]] = []
    monkeypatch.setattr(tasks.deliver_due_task, "delay", lambda *args: sent.append(args))
    assert tasks.wake_deliveries([agreement]) == 1  # the next wake sends a task at once
    assert [s[:2] for s in sent] == [(agreement, 0)]  # in the slot the dead task gave back
    clear_wake(agreement)
