"""Kartabl tests: two portal agencies (Aq Qala's sample, and Kordkuy's made from it), their
people, and referrals filed in their kartabls through the real API and delivery."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.auth.passwords import create_user
from hub.auth.roles import Role
from hub.core.settings import get_settings
from hub.db.models import Referral
from hub.db.session import session_scope
from hub.delivery.batch import deliver
from hub.web.kartabl.members import set_unit
from tests.core.waiting import wait_for
from tests.supervision.logins import PASSWORD, log_in
from tests.support.agreements import SAMPLES
from tests.support.fixtures import Sandboxes
from tests.support.requests import citizen_request

AQQALA = "golestan-aqqala-municipality"
KORDKUY = "golestan-kordkuy-municipality"
COUNTIES = {AQQALA: "آق‌قلا", KORDKUY: "کردکوی"}
_numbers = itertools.count(1)


@pytest.fixture(scope="package", autouse=True)
def portal_agreements(sandboxes: Sandboxes) -> Iterator[None]:
    """The sample portal agreement, and a second portal agency made from it; gone afterwards,
    so the rest of a run sees the agreements it always saw."""
    directory = Path(os.environ["SAMAD_AGREEMENTS_DIR"])
    text = (SAMPLES / f"{AQQALA}.yaml").read_text(encoding="utf-8")
    other = (
        text.replace(f"id: {AQQALA}", f"id: {KORDKUY}")
        .replace("counties: [آق‌قلا]", "counties: [کردکوی]")
        .replace("name_fa: شهرداری آق‌قلا", "name_fa: شهرداری کردکوی")
        .replace("name_en: Aq Qala Municipality", "name_en: Kordkuy Municipality")
    )
    written = [directory / f"{AQQALA}.yaml", directory / f"{KORDKUY}.yaml"]
    written[0].write_text(text, encoding="utf-8")
    written[1].write_text(other, encoding="utf-8")
    get_registry().refresh()
    yield
    for path in written:
        path.unlink()
    get_registry().refresh()


@dataclass(frozen=True)
class Filed:
    tracking_code: str
    reference: str
    referral_id: int
    mobile: str


@pytest.fixture
def filed(api: httpx.Client) -> Callable[..., Filed]:
    """``filed(AQQALA)``: a new request routed to that portal agency, delivered to its kartabl."""

    def make(agreement: str = AQQALA, **overrides: object) -> Filed:
        county = COUNTIES[agreement]
        document = citizen_request(
            category="municipality.street_light",
            subject="چراغ‌های خیابان خاموش است",
            description="سه شب است که چراغ‌های خیابان امام خاموش است و کوچه تاریک است.",
            location={"county": county, "city": county, "address": "خیابان امام، کوچه ۳"},
            **overrides,
        )
        answer = api.post("/v1/requests", json=document)
        assert answer.status_code == 201, answer.text
        body = answer.json()
        [referral] = body["referrals"]
        assert referral["agreement_id"] == agreement, body
        with session_scope() as session:
            referral_id = session.scalar(
                select(Referral.id).where(Referral.reference == referral["reference"])
            )
        assert referral_id is not None

        def delivered() -> bool:
            # The run's worker, if one is up, was woken too and may push it first; or meet an
            # agreement it has not loaded yet and put it back to wait. Delivering it here,
            # whenever it was due, settles both.
            with session_scope() as session:
                state = session.get_one(Referral, referral_id).state
            if state == "pending":
                deliver(referral_id, get_registry(), get_settings())
            return state == "delivered"

        wait_for(delivered, timeout=60, what=f"referral {referral_id} in the kartabl")
        mobile = document["citizen"]["mobile"]  # type: ignore[index]
        return Filed(body["tracking_code"], referral["reference"], referral_id, mobile)

    return make


@pytest.fixture(scope="session")
def person(database: str) -> Callable[..., str]:
    """``person("agency-lead", AQQALA)``: a new user (password ``PASSWORD``); staff in ``unit``."""

    def make(role: str, agreement: str | None = None, unit: str | None = None) -> str:
        # Its own prefix: the session database also holds the dashboard tests' "supervisor-3"
        username = f"k-{role}-{next(_numbers)}"
        with session_scope() as session:
            user = create_user(session, username, PASSWORD, Role(role), agreement)
            if Role(role) in (Role.AGENCY_LEAD, Role.AGENCY_STAFF):
                set_unit(session, user.id, agreement or "", unit)
        return username

    return make


@pytest.fixture
def logged_in(api_server: object) -> Iterator[Callable[[str], httpx.Client]]:
    """``logged_in(username)``: a client of the real API carrying that person's session."""
    clients: list[httpx.Client] = []

    def make(username: str) -> httpx.Client:
        client = httpx.Client(base_url=api_server.url, timeout=10)  # type: ignore[attr-defined]
        clients.append(client)
        return log_in(client, username)

    yield make
    for client in clients:
        client.close()


def csrf_of(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]
