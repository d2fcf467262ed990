"""Counting tickets per referral at the agency catches a real second ticket.

A CRM that ignores the Idempotency-Key (``honour_idempotency=False``, as many do) opens a second
ticket when the hub pushes one referral twice: the count by reference must say so, naming the
referral and both tickets, and the sandbox's own ``duplicates`` figure must count it too.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from hub.sandbox.rest import RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from tests.support.tickets import assert_one_ticket_each

FIRST, SECOND, NEVER_SENT = "R-1405-0000101-1", "R-1405-0000102-1", "R-1405-0000103-1"


def _push(http: httpx.Client, reference: str) -> str:
    """One push of a referral as the hub sends it: its reference in ``ref``, a stable key."""
    body = {"title": "قطعی آب", "description": "از دیروز آب قطع است", "ref": reference}
    headers = {"Idempotency-Key": f"golestan-water:{reference}"}
    answer = http.post("/api/v1/tickets", json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["ticket"]["id"])


@pytest.fixture
def ignores_keys() -> Iterator[tuple[RestSandboxApp, httpx.Client]]:
    yield from _agency(RestSandboxSettings(honour_idempotency=False, ticket_prefix="DUP"))


@pytest.fixture
def honours_keys() -> Iterator[tuple[RestSandboxApp, httpx.Client]]:
    yield from _agency(RestSandboxSettings(honour_idempotency=True, ticket_prefix="ONE"))


def _agency(settings: RestSandboxSettings) -> Iterator[tuple[RestSandboxApp, httpx.Client]]:
    with running_rest_sandbox(settings) as (app, server), httpx.Client(base_url=server.url) as http:
        yield app, http


def test_a_referral_pushed_twice_to_a_crm_that_ignores_keys_fails_the_count_naming_both_tickets(
    ignores_keys: tuple[RestSandboxApp, httpx.Client],
) -> None:
    app, http = ignores_keys
    first, again = _push(http, FIRST), _push(http, FIRST)  # a retry of the same referral
    _push(http, SECOND)

    with pytest.raises(AssertionError) as failed:
        assert_one_ticket_each(app.tickets, [FIRST, SECOND])

    assert first != again
    assert f"{FIRST}: 2 tickets ({first}, {again})" in str(failed.value)
    assert SECOND not in str(failed.value)  # it has its one ticket
    assert app.tickets.stats().duplicates == 1
    assert http.get("/_control/stats").json()["duplicates"] == 1


def test_a_referral_pushed_twice_to_a_crm_that_honours_keys_passes_the_count(
    honours_keys: tuple[RestSandboxApp, httpx.Client],
) -> None:
    app, http = honours_keys
    assert _push(http, FIRST) == _push(http, FIRST)
    _push(http, SECOND)

    assert_one_ticket_each(app.tickets, [FIRST, SECOND])
    assert app.tickets.stats().duplicates == 0


def test_a_referral_the_agency_never_got_fails_the_count_too(
    honours_keys: tuple[RestSandboxApp, httpx.Client],
) -> None:
    app, http = honours_keys
    _push(http, FIRST)

    with pytest.raises(AssertionError, match=f"{NEVER_SENT}: no ticket"):
        assert_one_ticket_each(app.tickets, [FIRST, NEVER_SENT])
