"""Fuzzing along the API's own links, and the query parameters people type, over real HTTP.

- Stateful: schemathesis follows the OpenAPI links of ``POST /v1/requests`` (look it up, give
  feedback, the agency reads and updates the referral) with generated data at every step, as
  the role each operation declares. No answer may be a 5xx, and every 4xx is a problem+json.
- Query parameters: hypothesis draws periods, dates and numbers — mostly near-misses of the
  accepted forms — for the stats, list and dashboard routes. A period is either understood
  (200) or refused with a 422 naming it; nothing else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any, ClassVar

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from hub.auth.passwords import create_user
from hub.auth.roles import Role
from hub.db.session import session_scope
from hub.sandbox.server import BackgroundServer
from hub.web.app import create_app
from tests.access.test_schemathesis import clear_error_body
from tests.access.test_schemathesis import tokens as tokens  # a fixture, shared
from tests.support.requests import BASE, citizen_request, national_id

PROBLEM = "application/problem+json"
PASSWORD = "a-long-enough-test-password"
CONFIG = schemathesis.Config.from_dict(
    {
        "phases": {"stateful": {"enabled": True, "max-steps": 6}},
        "generation": {"mode": "all", "max-examples": 25},
    }
)
schema = schemathesis.openapi.from_dict(create_app().openapi(), config=CONFIG)


def test_following_the_links_never_fails_the_hub(
    api_server: BackgroundServer, tokens: dict[str, str]
) -> None:
    machine = schema.as_state_machine()
    roles = {"agency": tokens[Role.AGENCY], "supervisor": tokens[Role.SUPERVISOR]}

    class Linked(machine):  # type: ignore[misc, valid-type]
        calls = 0
        followed: ClassVar[set[str]] = set()

        def before_call(self, case: schemathesis.Case) -> None:
            """Filings are valid requests (the stateless fuzz tries bad ones), so the links have
            somewhere to lead; a new citizen each time, so no filing is linked as a duplicate and
            every filing answers alike (hypothesis replays a scenario and expects the same)."""
            if case.operation.path == "/v1/requests" and case.method == "POST":
                case.body = citizen_request(
                    citizen={
                        **BASE["citizen"],
                        "national_id": national_id(uuid.uuid4().int % 10**8),
                    }
                )

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            declared = case.operation.definition.raw.get("x-roles") or []
            if "agency" in declared and case.path_parameters:
                case.path_parameters["agreement"] = "golestan-water"
                token = roles["agency"]
            elif "operator" in declared:
                token = tokens[Role.OPERATOR]
            else:
                token = roles["supervisor"] if declared else ""
            headers = {"X-Forwarded-For": f"203.0.113.{Linked.calls % 250 + 1}"}
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return {"base_url": api_server.url, "headers": headers}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            Linked.calls += 1
            if case.operation.path != "/v1/requests" and response.status_code < 400:
                Linked.followed.add(f"{case.method} {case.operation.path}")
            case.validate_response(response, checks=[not_a_server_error, clear_error_body])

    Linked.run(
        settings=settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            stateful_step_count=6,
        )
    )
    assert Linked.calls >= 25  # the machine really called the hub
    assert Linked.followed  # and went on from a filed request to what its links lead to


# Query parameters -----------------------------------------------------------------------------

digits = st.text(alphabet="0123456789۰۱۲۳۴۵۶۷۸۹", min_size=0, max_size=5)
separators = st.sampled_from(["-", "/", "..", "-Q", "", " ", "T", ":"])
near_periods = st.one_of(
    st.builds(lambda *p: "".join(p), digits, separators, digits),
    st.builds(lambda *p: "".join(p), digits, separators, digits, separators, digits),
    st.builds(
        lambda a, b, c, d, e, f: f"{a}-{b}-{c}..{d}-{e}-{f}",
        *(st.integers(min_value=-1, max_value=10_000) for _ in range(6)),
    ),
    st.text(max_size=20),
)
moments = st.one_of(
    st.datetimes().map(lambda d: d.isoformat()),
    st.dates().map(str),
    st.text(max_size=25),
    st.builds(lambda y: f"{y:04d}-12-31", st.integers(min_value=0, max_value=9999)),
)


def _clean(text: str) -> str:
    return text.replace("\x00", "")


@pytest.fixture(scope="module")
def supervisor(api_server: BackgroundServer, tokens: dict[str, str]) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=api_server.url,
        headers={"Authorization": f"Bearer {tokens[Role.SUPERVISOR]}"},
        timeout=30,
    ) as client:
        yield client


@pytest.fixture(scope="module")
def dashboard(api_server: BackgroundServer) -> Iterator[httpx.Client]:
    name = f"fuzz-{uuid.uuid4().hex[:8]}"
    with session_scope() as session:
        create_user(session, name, PASSWORD, Role.SUPERVISOR)
    with httpx.Client(base_url=api_server.url, timeout=30) as client:
        form = client.get("/dashboard/login")
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        logged = client.post(
            "/dashboard/login", data={"username": name, "password": PASSWORD, "csrf_token": token}
        )
        assert logged.status_code == 303
        yield client


def _understood_or_refused(answer: httpx.Response, field: str) -> None:
    assert answer.status_code in (200, 422), (answer.status_code, answer.text[:300])
    if answer.status_code == 422:
        assert answer.headers["content-type"] == PROBLEM
        assert field in [e["path"] for e in answer.json()["errors"]], answer.text


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(period=near_periods, route=st.sampled_from(["/v1/stats/agencies", "/v1/stats/trend"]))
def test_stats_periods_are_understood_or_refused_by_name(
    supervisor: httpx.Client, period: str, route: str
) -> None:
    _understood_or_refused(supervisor.get(route, params={"period": _clean(period)}), "$.period")


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(start=moments, end=moments, limit=st.integers(), offset=st.integers())
def test_list_filters_are_understood_or_refused_by_name(
    supervisor: httpx.Client, start: str, end: str, limit: int, offset: int
) -> None:
    answer = supervisor.get(
        "/v1/requests",
        params={"from": _clean(start), "to": _clean(end), "limit": limit, "offset": offset},
    )
    assert answer.status_code in (200, 422), (answer.status_code, answer.text[:300])
    if answer.status_code == 422:
        paths = {e["path"] for e in answer.json()["errors"]}
        assert paths and paths <= {"$.from", "$.to", "$.limit", "$.offset"}, paths


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(period=near_periods, page=st.sampled_from(["/dashboard", "/dashboard/trend"]))
def test_dashboard_periods_are_shown_or_refused_on_the_page(
    dashboard: httpx.Client, period: str, page: str
) -> None:
    answer = dashboard.get(page, params={"period": _clean(period)})
    assert answer.status_code in (200, 422), (answer.status_code, answer.text[:300])
    assert ('id="period-problem"' in answer.text) == (answer.status_code == 422)
