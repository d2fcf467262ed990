"""The corpus of real-shaped replies, through a real Dovecot and the hub's real worker.

One agency of its own, one referral per corpus mail (the mails answer three fixed referrals;
each is rewritten to answer a referral the hub really sent — :mod:`tests.replies.corpus`). All
mails are APPENDed to the hub's mailbox at once; the worker polls them through the agreement's
email connector, and each test asserts what the centre sees of one mail: the referral's state
and the result the citizen is told (no quoted history), a reply waiting for review and why, or
the bounce on the referral. Nothing is lost or applied twice: every mail is stored once, and
polling again — the agency's server even sending two of them again — finds nothing new.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage

import httpx
import pytest
import yaml
from sqlalchemy import select, update

from hub.db.models import Referral
from hub.db.session import session_scope
from hub.db.types import utcnow
from tests.connectors.conftest import IMAP_PASSWORD, IMAP_USER
from tests.connectors.test_email_corpus import CASES, UNMATCHED, Expected
from tests.core.waiting import wait_for, wait_for_states
from tests.replies.agency import MailAgency, Referred, agreements_dir, start_mail_agency
from tests.replies.corpus import answering, swap, swaps_for
from tests.replies.polls import wait_for_polls
from tests.replies.reading import (
    dismiss_waiting,
    messages_of,
    referral,
    reviews_of,
    updates_of,
)
from tests.support.agreements import SAMPLES
from tests.support.fixtures import Sandboxes
from tests.support.mailservers import Dovecot, create_mailbox
from tests.support.requests import citizen_request

pytestmark = [pytest.mark.usefixtures("worker"), pytest.mark.timeout(240)]
NAMES = sorted(CASES)
STATUS_MAP = yaml.safe_load(
    (SAMPLES / "golestan-gorgan-municipality.yaml").read_text(encoding="utf-8")
)["status_map"]
QUOTED_HISTORY = ("درخواست شهروندی", "شماره ارجاع", "From:", "از:", "wrote:", "نوشت")


@dataclass
class Answered:
    agency: MailAgency
    referred: dict[str, Referred]  # by corpus mail
    mails: dict[str, EmailMessage]  # as APPENDed


@pytest.fixture(scope="module")
def answered(api: httpx.Client, dovecot: Dovecot, sandboxes: Sandboxes) -> Iterator[Answered]:
    """Every corpus mail answering a referral of its own, all read by the worker."""
    mailbox = f"corpus-{uuid.uuid4().hex[:8]}"
    create_mailbox(dovecot, IMAP_USER, IMAP_PASSWORD, mailbox)
    agency = start_mail_agency(dovecot, mailbox, agreements_dir())
    try:
        referred = dict(zip(NAMES, _refer_many(api, agency, len(NAMES)), strict=True))
        mails = {n: answering(n, CASES[n].referral, referred[n]) for n in NAMES}
        # All read in one poll of all the referrals: a mail naming only a tracking code is matched
        # among the referrals of the poll that reads it (see the report of issue 17).
        _due(agency.agreement_id, timedelta(hours=1))
        time.sleep(2)  # a poll already under way ends before the mails are there
        for mail in mails.values():
            agency.deliver(mail)
        _due(agency.agreement_id, timedelta(0))
        wait_for(
            lambda: len(updates_of(agency.agreement_id)) >= len(NAMES),
            timeout=90,
            what="every corpus mail read",
        )
        yield Answered(agency, referred, mails)
    finally:
        agency.remove()
        dismiss_waiting(agency.agreement_id)


def _refer_many(api: httpx.Client, agency: MailAgency, count: int) -> list[Referred]:
    """``count`` requests to the agency, filed at once, once their referral mails are there."""
    codes = [
        api.post("/v1/requests", json=citizen_request(category=agency.category)).json()[
            "tracking_code"
        ]
        for _ in range(count)
    ]
    return [_delivered(api, agency, code) for code in codes]


def _delivered(api: httpx.Client, agency: MailAgency, code: str) -> Referred:
    sent = wait_for_states(api, code, ["delivered"], timeout=60)["referrals"][0]
    mail = wait_for(
        lambda: next(
            (m for m in agency.sandbox.received if m["Message-ID"] == sent["external_id"]), None
        ),
        what="the referral mail at the agency",
    )
    with session_scope() as session:
        referral_id = session.scalars(
            select(Referral.id).where(Referral.reference == sent["reference"])
        ).one()
    return Referred(code, sent["reference"], referral_id, sent["external_id"], mail)


def _expected(answered: Answered, name: str) -> tuple[Expected, Referred]:
    return CASES[name], answered.referred[name]


STATUS_NAMES = [n for n in NAMES if CASES[n].status is not None]
REVIEW_NAMES = [n for n in NAMES if CASES[n].kind is UNMATCHED]
BOUNCE_NAMES = [n for n in NAMES if n not in STATUS_NAMES + REVIEW_NAMES]


@pytest.mark.parametrize("name", STATUS_NAMES)
def test_the_referral_moves_as_the_clerk_meant_with_the_result_and_no_quoted_history(
    api: httpx.Client, answered: Answered, name: str
) -> None:
    expected, referred = _expected(answered, name)
    state = STATUS_MAP[expected.status]

    found = wait_for(
        lambda: (r := referral(referred.referral_id)).state == state and r, what=f"{name}: {state}"
    )
    looked_up = api.get(f"/v1/requests/{referred.code}").json()

    assert found.result == swap(expected.result or "", swaps_for(expected.referral, referred))
    assert found.agency_status == expected.status
    for quoted in QUOTED_HISTORY:
        assert quoted not in (found.result or "")
    assert not [r for r in reviews_of(answered.agency.agreement_id) if _of(r, referred)]
    assert looked_up["referrals"][0]["result"] == found.result  # what the centre reads
    if state == "resolved":  # and the request's result, the citizen's answer
        assert looked_up["result"] == found.result


@pytest.mark.parametrize("name", REVIEW_NAMES)
def test_a_reply_that_is_no_answer_waits_for_review_on_its_referral_saying_why(
    answered: Answered, name: str
) -> None:
    expected, referred = _expected(answered, name)

    [review] = [r for r in reviews_of(answered.agency.agreement_id) if _of(r, referred)]

    assert review.state == "pending"
    assert review.reason.startswith(f"{expected.unread}: ")
    assert referral(referred.referral_id).state == "delivered"  # nothing applied by guessing
    assert referral(referred.referral_id).result is None
    if name == "dsn_temporary_4xx.eml":  # its note: the agency's server is still trying
        assert "keeps trying" in review.reason and "4.4.1" in review.reason
    if expected.unread == "automatic":
        assert "automatic reply" in review.reason


@pytest.mark.parametrize("name", BOUNCE_NAMES)
def test_a_permanent_bounce_fails_the_delivery_and_names_why(answered: Answered, name: str) -> None:
    _, referred = _expected(answered, name)

    found = wait_for(
        lambda: (r := referral(referred.referral_id)).state == "delivery_failed" and r,
        what="the bounce applied",
    )

    assert "User unknown" in (found.last_error or "")
    assert not [r for r in reviews_of(answered.agency.agreement_id) if _of(r, referred)]


def test_every_mail_is_stored_once_on_its_referral_and_polling_again_finds_nothing_new(
    answered: Answered,
) -> None:
    agency = answered.agency
    before = len(reviews_of(agency.agreement_id))
    _poll_again(agency.agreement_id)
    agency.deliver(answered.mails["thunderbird_flowed.eml"])  # the agency's server sends again
    agency.deliver(answered.mails["no_keyword.eml"])
    _poll_again(agency.agreement_id)

    messages = messages_of(agency.agreement_id)
    by_message_id = {m.message_id: m.referral_id for m in messages}
    expected = {
        str(answered.mails[n]["Message-ID"]).strip(): answered.referred[n].referral_id
        for n in NAMES
    }

    assert len(updates_of(agency.agreement_id)) == len(NAMES)
    assert len(messages) == len(NAMES)
    assert by_message_id == expected  # each mail once, on the referral it answers
    assert len(reviews_of(agency.agreement_id)) == before == len(REVIEW_NAMES)
    for name in NAMES:  # none left unread in the mailbox the hub reads
        assert agency.flags_in(agency.mailbox, str(answered.mails[name]["Message-ID"])) is None


def _of(review: object, referred: Referred) -> bool:
    return getattr(review, "referral_id", None) == referred.referral_id


def _poll_again(agreement_id: str) -> None:
    """Make every referral of the agreement due for a poll now, and wait until the worker has
    polled its mailbox twice more."""
    _due(agreement_id, timedelta(0))
    wait_for_polls(agreement_id)


def _due(agreement_id: str, after: timedelta) -> None:
    """Every polled referral of the agreement due for its next poll ``after`` from now."""
    with session_scope() as session:
        session.execute(
            update(Referral)
            .where(Referral.agreement_id == agreement_id, Referral.next_poll_at.is_not(None))
            .values(next_poll_at=utcnow() + after)
        )
