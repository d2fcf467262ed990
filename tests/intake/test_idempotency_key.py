"""``Idempotency-Key`` on ``POST /v1/requests``, over the real API and PostgreSQL: a retry of a
call whose answer was lost registers nothing new, whoever sends it and however often."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select

from hub.db.models import Referral, Request
from hub.db.session import session_scope
from tests.core.waiting import wait_for
from tests.support.requests import BASE, citizen_request, national_id

HEADER = "Idempotency-Key"


def _someone() -> dict:
    nid = national_id(random.randrange(10**8))
    return citizen_request(citizen={**BASE["citizen"], "national_id": nid})


def _stored(nid: str) -> tuple[int, int]:
    """Requests and referrals the hub holds for this citizen."""
    with session_scope() as session:
        ids = list(session.scalars(select(Request.id).where(Request.citizen_national_id == nid)))
        referrals = session.scalar(
            select(func.count()).select_from(Referral).where(Referral.request_id.in_(ids))
        )
    return len(ids), referrals or 0


def test_the_same_key_and_body_answer_the_first_registration_again(api: httpx.Client) -> None:
    body, key = _someone(), str(uuid.uuid4())
    first = api.post("/v1/requests", json=body, headers={HEADER: key})
    again = api.post("/v1/requests", json=body, headers={HEADER: key})
    assert first.status_code == again.status_code == 201, again.text
    assert "idempotent-replayed" not in first.headers
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert _stored(body["citizen"]["national_id"]) == (1, len(first.json()["referrals"]))


def test_the_same_key_with_another_body_is_refused_naming_the_header(api: httpx.Client) -> None:
    body, key = _someone(), str(uuid.uuid4())
    assert api.post("/v1/requests", json=body, headers={HEADER: key}).status_code == 201
    other = {**body, "subject": body["subject"] + " (دوباره)"}
    refused = api.post("/v1/requests", json=other, headers={HEADER: key})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    [error] = refused.json()["errors"]
    assert error["path"] == f"$.headers.{HEADER}"
    assert "another body" in error["message"]
    assert _stored(body["citizen"]["national_id"])[0] == 1


def test_keys_belong_to_their_caller(api_as: Callable[..., httpx.Client]) -> None:
    key = "1"  # two call-centre clients may both count from one
    one, two = _someone(), _someone()
    first = api_as("operator").post("/v1/requests", json=one, headers={HEADER: key})
    second = api_as("operator").post("/v1/requests", json=two, headers={HEADER: key})
    assert first.status_code == second.status_code == 201
    assert first.json()["tracking_code"] != second.json()["tracking_code"]


def test_a_key_sent_twice_at_once_registers_one_request(api: httpx.Client) -> None:
    body, key = _someone(), str(uuid.uuid4())
    answers: list[httpx.Response] = []
    start = threading.Barrier(4)

    def send() -> None:
        with httpx.Client(base_url=api.base_url, headers=api.headers, timeout=30) as client:
            start.wait()
            answers.append(client.post("/v1/requests", json=body, headers={HEADER: key}))

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4, [a.text for a in answers]
    assert len({a.json()["tracking_code"] for a in answers}) == 1
    assert sum(a.headers.get("idempotent-replayed") == "true" for a in answers) == 3
    assert _stored(body["citizen"]["national_id"])[0] == 1


def test_a_key_that_is_not_visible_ascii_is_a_422(api: httpx.Client) -> None:
    for key in ("has space", "x" * 256):
        refused = api.post("/v1/requests", json=_someone(), headers={HEADER: key})
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["path"] == f"$.headers.{HEADER}"


@pytest.mark.usefixtures("worker", "sandboxes")
def test_a_retry_after_the_delivery_gets_the_first_answer_as_it_was(api: httpx.Client) -> None:
    """The retry's answer is the first one, not the request as it is by then: its referrals
    were pending when the first answer was sent, and may be delivered when the retry comes."""
    body, key = _someone(), str(uuid.uuid4())
    first = api.post("/v1/requests", json=body, headers={HEADER: key})
    assert first.status_code == 201
    code = first.json()["tracking_code"]
    assert {r["state"] for r in first.json()["referrals"]} == {"pending"}

    def delivered() -> bool:
        states = {r["state"] for r in api.get(f"/v1/requests/{code}").json()["referrals"]}
        return not states & {"pending", "delivering"}

    wait_for(delivered, timeout=60, what="the worker delivering it")
    again = api.post("/v1/requests", json=body, headers={HEADER: key})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
