"""Reminders to a REST agency's own API: filed on the ticket once per key, or not offered at all
when the agreement names no endpoint — over real HTTP against the REST sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.rest.connector import RestConnector
from hub.core.errors import ConnectorError
from hub.plugins.connector import ConnectorContext, Reminder, ReminderKind
from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from tests.connectors.test_rest_push import referral, rest_settings

REMIND = {"path": "/api/v1/tickets/{external_id}/reminders", "method": "POST"}
DUE = datetime(2027, 5, 8, 6, 30, tzinfo=UTC)  # 10:00 Tehran, Saturday 18 Ordibehesht 1406


def a_reminder(external_id: str, key: str = "step:1:remind_agency:connector") -> Reminder:
    return Reminder(
        key=key,
        kind=ReminderKind.DEADLINE,
        external_id=external_id,
        subject="یادآوری مهلت رؤیت — ارجاع R-1405-0000007-1",
        body="مهلت رؤیت ارجاع در ۱۴۰۶/۰۲/۱۸ ۱۰:۰۰ به پایان می‌رسد.",
        deadline="view",
        due_at=DUE,
        late_seconds=0,
    )


@pytest.fixture
def sandbox() -> Iterator[tuple[RestSandboxApp, str]]:
    with running_rest_sandbox(RestSandboxSettings(step_seconds=60)) as (app, server):
        yield app, server.url


@pytest.fixture
def connector(sandbox: tuple[RestSandboxApp, str], tmp_path: Path) -> Iterator[RestConnector]:
    settings: dict[str, Any] = rest_settings(sandbox[1], remind=REMIND)
    made = RestConnector(settings, ConnectorContext("gw", {}, {}, tmp_path, tmp_path))
    yield made
    made.close()


def test_a_reminder_is_filed_on_the_agencys_ticket_with_its_due_time_in_jalali(
    sandbox: tuple[RestSandboxApp, str], connector: RestConnector
) -> None:
    _, url = sandbox
    ticket = connector.push(referral(7)).external_id
    assert connector.can_remind()

    connector.remind(referral(7), a_reminder(ticket))

    [filed] = httpx.get(f"{url}/api/v1/tickets/{ticket}/reminders").json()["items"]
    body = filed["body"]
    assert (body["kind"], body["deadline"], body["external_id"]) == ("deadline", "view", ticket)
    assert body["due_at"] == "2027-05-08T06:30:00+00:00"
    assert body["due_at_jalali"] == "۱۴۰۶/۰۲/۱۸ ۱۰:۰۰"
    assert body["reference"] == "R-1405-0000007-1"
    assert body["message"].startswith("مهلت رؤیت ارجاع")


def test_the_same_reminder_sent_twice_is_filed_once(
    sandbox: tuple[RestSandboxApp, str], connector: RestConnector
) -> None:
    app, _ = sandbox
    ticket = connector.push(referral(8)).external_id
    connector.remind(referral(8), a_reminder(ticket))
    connector.remind(referral(8), a_reminder(ticket))  # a retry after a lost answer
    connector.remind(referral(8), a_reminder(ticket, key="step:2:remind_agency:connector"))
    assert app.reminders.posts == 3
    assert len(app.reminders.of(ticket)) == 2


def test_a_reminder_service_that_is_down_is_a_transient_error(
    sandbox: tuple[RestSandboxApp, str], connector: RestConnector
) -> None:
    app, _ = sandbox
    ticket = connector.push(referral(9)).external_id
    app.reminders.refuse_next(1, status=503)
    with pytest.raises(ConnectorError) as caught:
        connector.remind(referral(9), a_reminder(ticket))
    assert caught.value.permanent is False
    connector.remind(referral(9), a_reminder(ticket))
    assert len(app.reminders.of(ticket)) == 1


def test_a_refusal_for_one_ticket_leaves_reminders_on_other_tickets_alone(
    sandbox: tuple[RestSandboxApp, str], connector: RestConnector
) -> None:
    app, _ = sandbox
    mine = connector.push(referral(11)).external_id
    other = connector.push(referral(12)).external_id
    app.reminders.refuse_next(1, status=503, ticket=mine)
    theirs = a_reminder(other, key="step:12:remind_agency:connector")
    connector.remind(referral(12), theirs)  # another case: filed, the refusal kept
    with pytest.raises(ConnectorError):
        connector.remind(referral(11), a_reminder(mine, key="step:11:remind_agency:connector"))
    connector.remind(referral(11), a_reminder(mine, key="step:11:remind_agency:connector"))
    assert (len(app.reminders.of(other)), len(app.reminders.of(mine))) == (1, 1)


def test_a_reminder_about_a_ticket_the_agency_never_opened_is_refused_for_good(
    connector: RestConnector,
) -> None:
    with pytest.raises(ConnectorError) as caught:
        connector.remind(referral(10), a_reminder("WTR-1405-999999"))
    assert caught.value.permanent is True


def test_without_a_remind_endpoint_the_connector_offers_no_reminders(
    sandbox: tuple[RestSandboxApp, str], tmp_path: Path
) -> None:
    plain = RestConnector(
        rest_settings(sandbox[1]), ConnectorContext("gw", {}, {}, tmp_path, tmp_path)
    )
    try:
        assert plain.can_remind() is False
        with pytest.raises(ConnectorError) as caught:
            plain.remind(referral(11), a_reminder("WTR-1"))
        assert caught.value.permanent is True
    finally:
        plain.close()
