"""The REST sandbox, spoken to over real HTTP as an agency's CRM would be."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from hub.sandbox.rest import AuthMode, RestSandboxApp, RestSandboxSettings, running_rest_sandbox
from hub.sandbox.rest_faults import FaultMode
from hub.sandbox.rest_tickets import RESOLUTION_DONE, ManualClock

TICKET = {
    "title": "قطعی آب",
    "description": "از دیروز آب قطع است",
    "caller": {"mobile": "09111234567"},
    "ref": "R-1405-0000001-1",  # the referral it is for: a second ticket for it is a duplicate
}


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def sandbox(clock: ManualClock) -> Iterator[tuple[RestSandboxApp, httpx.Client]]:
    settings = RestSandboxSettings(step_seconds=0.5, clock=clock)
    with running_rest_sandbox(settings) as (app, server), httpx.Client(base_url=server.url) as http:
        yield app, http


def test_it_opens_a_ticket_with_a_jalali_year_id_and_status_new(sandbox) -> None:
    _, http = sandbox
    response = http.post("/api/v1/tickets", json=TICKET)
    assert response.status_code == 201
    ticket = response.json()["ticket"]
    assert ticket["id"].startswith("WTR-14")
    assert ticket["status"] == "NEW"
    assert ticket["data"]["caller"]["mobile"] == "09111234567"


def test_it_answers_422_with_a_json_error_when_the_description_is_missing(sandbox) -> None:
    _, http = sandbox
    response = http.post("/api/v1/tickets", json={"title": "only a title"})
    assert response.status_code == 422
    assert response.json()["detail"]["fields"] == ["description"]


def test_it_answers_422_when_the_body_is_not_a_json_object(sandbox) -> None:
    _, http = sandbox
    response = http.post("/api/v1/tickets", content=b"<xml/>")
    assert response.status_code == 422


def test_the_same_idempotency_key_returns_the_same_ticket_with_200(sandbox) -> None:
    _, http = sandbox
    headers = {"Idempotency-Key": "ref-1"}
    first = http.post("/api/v1/tickets", json=TICKET, headers=headers)
    second = http.post("/api/v1/tickets", json=TICKET, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["ticket"]["id"] == second.json()["ticket"]["id"]
    stats = http.get("/_control/stats").json()
    assert stats == {"tickets": 1, "posts": 2, "replays": 1, "duplicates": 0}


def test_concurrent_posts_with_one_key_open_one_ticket(sandbox) -> None:
    _, http = sandbox
    ids: list[str] = []

    def post() -> None:
        response = http.post("/api/v1/tickets", json=TICKET, headers={"Idempotency-Key": "race"})
        ids.append(response.json()["ticket"]["id"])

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 1
    assert http.get("/_control/stats").json()["duplicates"] == 0


def test_a_ticket_moves_one_status_per_step_to_closed_done_with_a_persian_resolution(
    sandbox, clock: ManualClock
) -> None:
    _, http = sandbox
    ticket_id = http.post("/api/v1/tickets", json=TICKET).json()["ticket"]["id"]
    seen = []
    for _ in range(6):
        seen.append(http.get(f"/api/v1/tickets/{ticket_id}").json()["ticket"]["status"])
        clock.advance(0.5)
    assert seen == ["NEW", "SEEN", "ASSIGNED", "IN_FIELD", "CLOSED_DONE", "CLOSED_DONE"]
    ticket = http.get(f"/api/v1/tickets/{ticket_id}").json()["ticket"]
    assert ticket["resolution"] == RESOLUTION_DONE
    assert [event["status"] for event in ticket["events"]] == seen[:5]
    assert len({event["id"] for event in ticket["events"]}) == 5
    assert ticket["updated_at"] == ticket["events"][-1]["at"] > ticket["created_at"]


def test_a_ticket_marked_return_ends_rejected(sandbox, clock: ManualClock) -> None:
    _, http = sandbox
    body = {**TICKET, "description": "این موضوع مربوط به شهرداری است [return]"}
    ticket_id = http.post("/api/v1/tickets", json=body).json()["ticket"]["id"]
    clock.advance(5)
    ticket = http.get(f"/api/v1/tickets/{ticket_id}").json()["ticket"]
    assert ticket["status"] == "REJECTED"
    assert ticket["resolution"]


def test_batch_status_lists_each_ticket_and_404s_on_an_unknown_id(sandbox) -> None:
    _, http = sandbox
    ids = [http.post("/api/v1/tickets", json=TICKET).json()["ticket"]["id"] for _ in range(3)]
    items = http.post("/api/v1/tickets/batch-status", json={"ids": ids}).json()["items"]
    assert [item["ticket"]["id"] for item in items] == ids
    unknown = http.post("/api/v1/tickets/batch-status", json={"ids": [ids[0], "WTR-0-404"]})
    assert unknown.status_code == 404
    assert unknown.json()["detail"]["ids"] == ["WTR-0-404"]
    assert http.get("/api/v1/tickets/WTR-0-404").status_code == 404


def test_a_fault_applies_to_count_requests_and_never_to_the_control_api(sandbox) -> None:
    _, http = sandbox
    http.post("/_control/faults", json={"mode": "error500", "count": 2}).raise_for_status()
    statuses = [http.get("/api/v1/health").status_code for _ in range(3)]
    assert statuses == [500, 500, 200]
    assert http.get("/_control/stats").status_code == 200


def test_a_fault_for_one_method_leaves_the_others_alone_and_is_not_used_up_by_them(
    sandbox,
) -> None:
    _, http = sandbox
    fault = {"mode": "reject400", "count": 1, "method": "POST"}
    http.post("/_control/faults", json=fault).raise_for_status()
    assert [http.get("/api/v1/health").status_code for _ in range(3)] == [200, 200, 200]
    pushed = http.post("/api/v1/tickets/batch-status", json={"ids": []})
    assert pushed.status_code == 400  # the POST it was waiting for
    assert http.post("/api/v1/tickets/batch-status", json={"ids": []}).status_code != 400


def test_a_fault_for_one_path_leaves_the_other_posts_alone(sandbox) -> None:
    _, http = sandbox
    fault = {"mode": "reject400", "count": 1, "method": "POST", "path": "/api/v1/tickets"}
    http.post("/_control/faults", json=fault).raise_for_status()
    polls = [http.post("/api/v1/tickets/batch-status", json={"ids": []}) for _ in range(2)]
    assert [poll.status_code for poll in polls] == [200, 200]  # a batch poll is a POST too
    assert http.post("/api/v1/tickets", json={"title": "x"}).status_code == 400
    assert http.post("/api/v1/tickets/batch-status", json={"ids": []}).status_code == 200


def test_a_fault_path_must_be_absolute(sandbox) -> None:
    _, http = sandbox
    refused = http.post("/_control/faults", json={"mode": "error500", "path": "api/v1/tickets"})
    assert refused.status_code == 422
    assert "path" in refused.text


def test_faults_can_be_set_from_python_and_last_until_reset(sandbox) -> None:
    app, http = sandbox
    app.faults.set(FaultMode.GARBAGE)
    pages = [http.get("/api/v1/health") for _ in range(3)]
    assert {(page.status_code, page.headers["content-type"]) for page in pages} == {
        (200, "text/html")
    }
    app.faults.reset()
    assert http.get("/api/v1/health").json() == {"status": "ok"}


def test_a_dropped_connection_gives_the_client_no_complete_answer(sandbox) -> None:
    app, http = sandbox
    app.faults.set(FaultMode.DROP, count=1)
    with pytest.raises(httpx.RemoteProtocolError):
        http.get("/api/v1/health")


def test_an_unknown_fault_mode_is_refused(sandbox) -> None:
    _, http = sandbox
    assert http.post("/_control/faults", json={"mode": "explode"}).status_code == 422


@pytest.mark.parametrize(
    ("settings", "good", "bad"),
    [
        (
            RestSandboxSettings(auth=AuthMode.BEARER, token="s3cret"),
            {"Authorization": "Bearer s3cret"},
            {"Authorization": "Bearer wrong"},
        ),
        (
            RestSandboxSettings(auth=AuthMode.API_KEY, api_key_header="X-Key", token="k"),
            {"X-Key": "k"},
            {"X-Api-Key": "k"},
        ),
    ],
    ids=["bearer", "api_key"],
)
def test_it_answers_401_to_wrong_credentials(settings, good, bad) -> None:
    with running_rest_sandbox(settings) as (_, server):
        assert httpx.get(f"{server.url}/api/v1/health", headers=good).status_code == 200
        refused = httpx.get(f"{server.url}/api/v1/health", headers=bad)
        assert refused.status_code == 401
        assert httpx.get(f"{server.url}/_control/stats").status_code == 200


def test_basic_auth_checks_user_and_password() -> None:
    settings = RestSandboxSettings(auth=AuthMode.BASIC, username="u", password="p")
    with running_rest_sandbox(settings) as (_, server):
        url = f"{server.url}/api/v1/health"
        assert httpx.get(url, auth=("u", "p")).status_code == 200
        assert httpx.get(url, auth=("u", "nope")).status_code == 401
        assert httpx.get(url, headers={"Authorization": "Basic !!!"}).status_code == 401
