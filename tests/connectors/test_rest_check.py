"""``check()`` of the REST connector against the REST sandbox: one GET with the agreement's
credentials, that tells a wrong credential from a wrong path, for every kind of auth."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from connectors.rest.connector import RestConnector
from hub.plugins.connector import ConnectorContext, Health
from hub.sandbox.rest import AuthMode, RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from hub.sandbox.rest_faults import FaultMode
from hub.sandbox.server import BackgroundServer, free_port
from tests.connectors.test_rest_push import referral, rest_settings

STATUS_MAP = {"NEW": "delivered", "SEEN": "viewed", "CLOSED_DONE": "resolved"}
# Each kind of auth the sandbox asks for: the agreement's right credentials and wrong ones.
AUTH_CASES = {
    "bearer": (
        RestSandboxSettings(auth=AuthMode.BEARER, token="water-token"),
        {"type": "bearer", "token": "water-token"},
        {"type": "bearer", "token": "an-old-token"},
    ),
    "basic": (
        RestSandboxSettings(auth=AuthMode.BASIC, username="samad", password="s3cret"),
        {"type": "basic", "username": "samad", "password": "s3cret"},
        {"type": "basic", "username": "samad", "password": "wrong"},
    ),
    "api_key": (
        RestSandboxSettings(auth=AuthMode.API_KEY, api_key_header="X-Water-Key", token="k1"),
        {"type": "api_key", "header": "X-Water-Key", "token": "k1"},
        {"type": "api_key", "header": "X-Water-Key", "token": "k0"},
    ),
}
Check = Callable[..., Health]


@pytest.fixture(params=AUTH_CASES, ids=list(AUTH_CASES))
def agency(
    request: pytest.FixtureRequest,
) -> Iterator[tuple[RestSandboxApp, BackgroundServer, dict[str, str], dict[str, str]]]:
    sandbox_settings, good, bad = AUTH_CASES[request.param]
    with running_rest_sandbox(sandbox_settings) as (app, server):
        yield app, server, good, bad


@pytest.fixture
def check_with(tmp_path: Path) -> Iterator[Check]:
    """``check_with(base_url, **settings)``: a connector made for one check, closed at the end."""
    made: list[RestConnector] = []

    def check(base_url: str, **overrides: Any) -> Health:
        context = ConnectorContext("golestan-water", {}, STATUS_MAP, tmp_path, tmp_path)
        made.append(RestConnector(rest_settings(base_url, **overrides), context))
        return made[-1].check()

    yield check
    for connector in made:
        connector.close()


def test_the_right_credentials_on_the_check_path_are_healthy(agency, check_with: Check) -> None:
    _, server, good, _ = agency
    health = check_with(server.url, auth=good, check_path="/api/v1/health")
    assert health.ok, health.problems
    assert health.problems == ()
    assert f"GET {server.url}/api/v1/health answered HTTP 200" in health.detail
    assert health.detail.endswith("with our credentials")


def test_wrong_credentials_are_named_as_refused(agency, check_with: Check) -> None:
    _, server, _, bad = agency
    health = check_with(server.url, auth=bad, check_path="/api/v1/health")
    assert not health.ok
    assert health.problems == (
        f"The agency refused our credentials (HTTP 401 on GET {server.url}/api/v1/health) — "
        "check connector.settings.auth.",
    )


@pytest.mark.parametrize("which", ["good", "bad"])
def test_a_check_path_the_agency_lacks_is_named_as_missing_whatever_the_credentials(
    agency, check_with: Check, which: str
) -> None:
    _, server, good, bad = agency
    health = check_with(
        server.url, auth=good if which == "good" else bad, check_path="/api/v1/helth"
    )
    assert not health.ok
    assert health.problems == (
        f"The check path does not exist at the agency (GET {server.url}/api/v1/helth answered "
        "HTTP 404) — correct connector.settings.check_path.",
    )


def test_without_a_check_the_credentials_are_said_not_verified_even_when_they_are_wrong(
    agency, check_with: Check
) -> None:
    _, server, good, bad = agency
    for auth in (good, bad):  # the sandbox's root answers 404 to anyone: proof of nothing
        health = check_with(server.url, auth=auth)
        assert not health.ok
        [problem] = health.problems
        assert problem.startswith(
            "Our credentials (connector.settings.auth) were NOT verified: "
            f"GET {server.url}/ answered HTTP 404, as it would answer anyone"
        )
        assert "set connector.settings.check" in problem


def test_a_known_test_case_proves_the_credentials_and_reads_as_poll_reads_it(
    agency, check_with: Check
) -> None:
    app, server, good, bad = agency
    test_case = RestConnector(
        rest_settings(server.url, auth=good), ConnectorContext("gw", {}, {}, Path(), Path())
    )
    external_id = test_case.push(referral(1)).external_id
    test_case.close()
    health = check_with(server.url, auth=good, check={"external_id": external_id})
    assert health.ok, health.problems
    assert f"/api/v1/tickets/{external_id} answered HTTP 200" in health.detail
    refused = check_with(server.url, auth=bad, check={"external_id": external_id})
    assert "The agency refused our credentials (HTTP 401" in refused.problems[0]
    unknown = check_with(server.url, auth=good, check={"external_id": "WTR-1405-999999"})
    assert unknown.problems == (
        "The test case 'WTR-1405-999999' does not exist at the agency "
        f"(GET {server.url}/api/v1/tickets/WTR-1405-999999 answered HTTP 404) — correct "
        "connector.settings.check.external_id (or poll.path).",
    )
    assert app.tickets.stats().tickets == 1  # a check never opens a case


def test_a_test_case_the_poll_settings_cannot_read_is_named(check_with: Check) -> None:
    with running_rest_sandbox(RestSandboxSettings()) as (_, server):
        pushed = RestConnector(
            rest_settings(server.url), ConnectorContext("gw", {}, {}, Path(), Path())
        )
        external_id = pushed.push(referral(2)).external_id
        pushed.close()
        poll = {"path": "/api/v1/tickets/{external_id}", "external_id": "ticket.id"}
        misread = check_with(
            server.url, check={"external_id": external_id}, poll={**poll, "status": "ticket.state"}
        )
        unmapped = check_with(
            server.url,
            check={"external_id": external_id},
            poll={**poll, "status": "ticket.title"},
        )
    assert not misread.ok
    assert misread.problems[0].startswith(f"The test case {external_id!r} cannot be read")
    assert "(ticket.state)" in misread.problems[0]
    assert "correct connector.settings.poll." in misread.problems[0]
    assert unmapped.problems[0].startswith(f"The test case {external_id!r} is in the agency's")
    assert unmapped.problems[0].endswith("which status_map does not name — add it to status_map.")


def test_an_answer_other_than_the_expected_status_is_named(check_with: Check) -> None:
    with running_rest_sandbox(RestSandboxSettings()) as (_, server):
        health = check_with(server.url, check={"path": "/api/v1/health", "expect_status": 204})
    assert health.problems == (
        f"GET {server.url}/api/v1/health answered HTTP 200, not the expected 204 — correct "
        "connector.settings.check.path or check.expect_status.",
    )


def test_a_check_over_check_path_wins(check_with: Check) -> None:
    with running_rest_sandbox(RestSandboxSettings()) as (_, server):
        health = check_with(server.url, check_path="/nowhere", check={"path": "/api/v1/health"})
    assert health.ok, health.problems


def test_an_agency_without_credentials_is_healthy_when_its_root_answers(check_with: Check) -> None:
    with running_rest_sandbox(RestSandboxSettings()) as (_, server):
        health = check_with(server.url)
    assert health.ok, health.problems
    assert f"GET {server.url}/ answered HTTP 404" in health.detail  # its root, but it answers
    assert health.detail.endswith("(no credentials to verify)")


def test_an_agency_in_trouble_verifies_nothing(check_with: Check) -> None:
    with running_rest_sandbox(RestSandboxSettings(auth=AuthMode.BEARER, token="t")) as (
        app,
        server,
    ):
        app.faults.set(FaultMode.ERROR500, count=1)
        auth = {"type": "bearer", "token": "t"}
        health = check_with(server.url, auth=auth, check_path="/api/v1/health")
    assert health.problems == (
        f"The agency's system answered HTTP 500 on GET {server.url}/api/v1/health, so nothing "
        "was verified — run the check again later.",
    )


def test_an_agency_nobody_answers_for_is_unreachable(check_with: Check) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    health = check_with(url, check_path="/api/v1/health")
    assert not health.ok
    [problem] = health.problems
    assert problem.startswith(f"The agency is unreachable: GET {url}/api/v1/health failed")
    assert problem.endswith("check connector.settings.base_url and that the agency's system is up.")
