"""The deadline sweep as it runs in production: Celery beat sends it, workers run it, on Redis and
PostgreSQL — here two worker processes, each with its own beat, so two sweepers race for every
due referral. Time is moved by the shared clock file, never by waiting.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hub.calendars.jalali import persian_digits
from hub.core.settings import REPO_ROOT, get_settings
from hub.deadlines.clock import set_clock
from tests.core.waiting import wait_for
from tests.deadlines.support import messages, referral, referral_started_at, steps, tehran
from tests.deadlines.support import violations as violations_of
from tests.support.notification_fixtures import NotificationSandboxes

_OPTIONS = ("--pool", "threads", "--concurrency", "4", "--loglevel", "WARNING")
START = tehran(2027, 5, 8, 8, 0)  # see test_escalation_ladder.py for the hand-worked times


@pytest.fixture
def second_worker(worker: subprocess.Popen, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """Another worker with its own beat (own schedule file), same database, broker and clock."""
    env = {**os.environ, "SAMAD_DATA_DIR": str(tmp_path)}
    with (tmp_path / "worker.log").open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "hub", "--log-level", "WARNING", "worker", "--beat", *_OPTIONS],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    yield process
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture
def clock() -> Iterator[Path]:
    path = get_settings().clock_file
    assert path is not None
    yield path
    set_clock(path, None)


def test_two_beats_and_workers_take_each_step_once_and_send_each_message_once(
    second_worker: subprocess.Popen,
    clock: Path,
    notification_sandboxes: NotificationSandboxes,
) -> None:
    referral_id = referral_started_at(START)
    reference = referral(referral_id).reference
    set_clock(clock, tehran(2027, 5, 15, 8, 1))  # a minute after the result was due
    expected = [
        ("result", "record_violation", 0),
        ("result", "remind_agency", 0),
        ("view", "notify_supervisor", 0),
        ("view", "remind_agency", 0),
    ]
    wait_for(lambda: sorted(steps(referral_id)) == expected, timeout=30, what="the four steps")
    wait_for(
        lambda: (
            all(m.status == "sent" for m in messages(referral_id))
            and len(messages(referral_id)) == 3
        ),
        timeout=30,
        what="three messages sent",
    )
    [violation] = violations_of(referral_id)
    assert violation.late_seconds == 60
    mails = [
        m
        for m in notification_sandboxes.mail.mails
        if persian_digits(reference) in str(m["Subject"])
    ]
    assert sorted(str(m["To"]) for m in mails) == [
        "operations@abfa-golestan.example",
        "samad@abfa-golestan.example",
        "samad@abfa-golestan.example",
    ]
    # The next repeat is due Sunday 08:00; move there and it is taken once more, once.
    set_clock(clock, tehran(2027, 5, 16, 8, 1))
    wait_for(
        lambda: ("result", "record_violation", 1) in steps(referral_id),
        timeout=30,
        what="the repeat",
    )
    assert steps(referral_id).count(("result", "record_violation", 1)) == 1
    assert second_worker.poll() is None
