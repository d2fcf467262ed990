"""update_rows: many rows, each its own compare-and-set, in one executemany."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.core.settings import get_settings
from hub.db.bulk import update_rows
from hub.db.models import DeliveryAttempt, Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from hub.intake.submit import submit_request
from tests.support.requests import citizen_request


def _referrals(url: str, count: int) -> list[Referral]:
    found = []
    for _ in range(count):
        with session_scope(url) as session:
            result = submit_request(session, citizen_request(), get_registry(), get_settings())
            # Due only in a year (in this transaction): no running worker delivers it.
            result.referrals[0].next_attempt_at = utcnow() + timedelta(days=365)
            found.append(result.referrals[0])
    return found


@pytest.mark.parametrize("count", [2, 5])
def test_each_row_is_changed_only_where_its_state_and_version_still_match(
    database_url: str, count: int
) -> None:
    referrals = _referrals(database_url, count)
    now = utcnow()
    rows = [
        {
            "where_id": r.id,
            "where_state": "pending",
            # The first row's version is stale: someone moved it meanwhile.
            "where_version": r.version - 1 if i == 0 else r.version,
            "state": "delivered",
            "version": r.version + 1,
            "external_id": f"T-{r.id}",
            "receipt": {"ticket": {"id": f"T-{r.id}"}, "note": "قبول شد"},
            # Polled only in a year: the sandbox knows no case "T-…", and a batch poll asking
            # for one is refused whole — it would stop the polls of the tests that follow.
            "next_poll_at": now + timedelta(days=365),
            "last_error": None,
        }
        for i, r in enumerate(referrals)
    ]
    with session_scope(database_url) as session:
        changed = update_rows(session, Referral, rows, where=("id", "state", "version"))
    assert changed == count - 1
    with session_scope(database_url) as session:
        stored = {
            r.id: r
            for r in session.scalars(
                select(Referral).where(Referral.id.in_([r.id for r in referrals]))
            )
        }
    first, *others = referrals
    assert stored[first.id].state == "pending" and stored[first.id].external_id is None
    for r in others:
        row = stored[r.id]
        expected = ("delivered", r.version + 1, f"T-{r.id}")
        assert (row.state, row.version, row.external_id) == expected
        assert row.receipt == {"ticket": {"id": f"T-{r.id}"}, "note": "قبول شد"}
        assert row.next_poll_at is not None and row.last_error is None


def test_rows_must_name_the_same_columns(database_url: str) -> None:
    rows = [{"where_id": 1, "outcome": "delivered"}, {"where_id": 2, "error": "x"}]
    with session_scope(database_url) as session, pytest.raises(ValueError, match="same columns"):
        update_rows(session, DeliveryAttempt, rows, where=("id",))
