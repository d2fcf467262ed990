"""`samad-hub figures refresh`: a repair made by hand in SQL reaches the figures with --rebuild.

Referrals of an agency of its own, received in Mordad 1395 (no other test writes in 1395).
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, time

import jdatetime
from sqlalchemy import update

from hub.calendars.jalali import TEHRAN
from hub.core.settings import REPO_ROOT
from hub.db.models import Referral
from hub.db.session import session_scope
from hub.supervision.figures import figures, parse_period
from tests.supervision.known_data import referral

MONTH = "1395-05"


def _at(day: int) -> datetime:
    moment = datetime.combine(jdatetime.date(1395, 5, day).togregorian(), time(10), tzinfo=TEHRAN)
    return moment.astimezone(UTC)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hub", "figures", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _received_and_failed(agency: str) -> tuple[int, int]:
    with session_scope() as session:
        board = figures(session, parse_period(MONTH), agreement_ids=[agency])
    [row] = [a for a in board.agencies if a.agreement_id == agency]
    return row.received, row.delivery_failures


def test_a_month_repaired_by_hand_shows_the_repair_after_refresh_rebuild(database: str) -> None:
    agency = f"figures-cli-{uuid.uuid4().hex[:6]}"
    with session_scope() as session:
        ids = [referral(session, agency, _at(day)).id for day in (3, 10)]
    assert _received_and_failed(agency) == (2, 0)  # the first read builds Mordad's roll-up

    # An admin repairs a referral in SQL and leaves its updated_at as it was, months ago.
    with session_scope() as session:
        session.execute(
            update(Referral)
            .where(Referral.id == ids[1])
            .values(state="delivery_failed", delivered_at=None, updated_at=_at(10))
        )
    assert _received_and_failed(agency) == (2, 0)  # not seen: nothing looks changed

    plain = _cli("refresh", MONTH)
    assert plain.returncode == 0, plain.stderr
    assert _received_and_failed(agency) == (2, 0)  # a refresh redoes only changed days

    rebuilt = _cli("refresh", MONTH, "--rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert f"{MONTH}: 1 month(s) rebuilt" in rebuilt.stdout
    assert _received_and_failed(agency) == (2, 1)


def test_a_quarter_is_refreshed_month_by_month(database: str) -> None:
    done = _cli("refresh", "1395-Q2")
    assert done.returncode == 0, done.stderr
    assert "1395-Q2: 3 month(s) refreshed" in done.stdout


def test_a_period_that_is_not_one_is_refused_naming_it() -> None:
    refused = _cli("refresh", "1395-13")
    assert refused.returncode != 0
    assert "1395-13" in refused.stderr and "1 to 12" in refused.stderr
