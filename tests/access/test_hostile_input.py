"""Hostile input through the real API: mail header injection, path traversal, leaks into logs."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hub.agreements.registry import get_registry
from hub.db.models import Referral, Request
from hub.db.session import session_scope
from hub.referrals.outgoing import outgoing
from tests.support.mailservers import (
    AGENCY_ADDRESS,
    SmtpServer,
    email_settings,
    maildir_replies,
    make_connector,
)
from tests.support.requests import BASE, citizen_request, national_id

MUNICIPALITY = "golestan-gorgan-municipality"
INJECTED = "زباله در کوچه\r\nBcc: spy@evil.example\r\nX-Evil: 1\r\n\r\nمتن جعلی"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


def _municipality_request(**overrides: object) -> dict:
    return citizen_request(
        category="municipality.waste",
        location={"county": "گرگان", "city": "گرگان", "address": "خیابان ولیعصر"},
        **overrides,
    )


def test_cr_lf_and_bcc_in_a_citizens_subject_never_become_mail_headers(
    api: httpx.Client, smtp: SmtpServer, tmp_path: Path
) -> None:
    filed = api.post(
        "/v1/requests",
        json=_municipality_request(subject=INJECTED, description=INJECTED + "\nCc: x@evil.example"),
    )
    assert filed.status_code == 201, filed.text
    [made] = filed.json()["referrals"]
    assert made["agreement_id"] == MUNICIPALITY
    with session_scope() as session:
        referral = session.scalars(
            select(Referral).where(Referral.reference == made["reference"])
        ).one()
        request = session.get_one(Request, referral.request_id)
        agreement = get_registry().get(MUNICIPALITY)
        leaving = outgoing(referral, request, agreement)
    assert "Bcc: spy@evil.example" in leaving.request["subject"]  # the citizen's words, kept
    connector = make_connector(email_settings(smtp.port, maildir_replies(tmp_path)), tmp_path)
    connector.push(leaving)

    [mail] = smtp.messages
    assert smtp.envelopes == [("samad@golestan111.test", [AGENCY_ADDRESS])]
    assert mail["Bcc"] is None and mail["X-Evil"] is None and mail["Cc"] is None
    assert "\n" not in mail["Subject"] and "\r" not in mail["Subject"]
    assert "Bcc: spy@evil.example" in mail["Subject"]  # shown as text, in the subject line
    header_names = [name.lower() for name in mail]
    assert len(header_names) == len(set(header_names)), header_names


@pytest.mark.parametrize(
    "name", ["../../etc/passwd", "..\\..\\windows\\win.ini", "..", "photos/../../secret.jpg"]
)
def test_an_attachment_named_like_a_path_is_refused_naming_the_field(
    api: httpx.Client, name: str
) -> None:
    attachment = {
        "name": name,
        "content_type": "image/jpeg",
        "size": 1024,
        "url": "https://files.golestan111.example/a/1.jpg",
    }
    before = api.get("/v1/requests").json()["total"]
    answer = api.post("/v1/requests", json=citizen_request(attachments=[attachment]))
    assert answer.status_code == 422, answer.text
    [error] = answer.json()["errors"]
    assert error["path"] == "$.attachments[0].name"
    assert "photo-1.jpg" in error["message"] and error["message_fa"]
    assert api.get("/v1/requests").json()["total"] == before


def test_an_attachment_with_a_plain_persian_file_name_is_accepted(api: httpx.Client) -> None:
    attachment = {
        "name": "عکس ..کوچه.jpg",
        "content_type": "image/jpeg",
        "size": 1024,
        "url": "https://files.golestan111.example/a/2.jpg",
    }
    answer = api.post("/v1/requests", json=citizen_request(attachments=[attachment]))
    assert answer.status_code == 201, answer.text


def test_no_national_id_or_mobile_appears_in_the_log_of_an_intake(
    api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    nid = national_id(random.randrange(10**8))
    mobile = f"0935{random.randrange(10**7):07d}"
    citizen = {**BASE["citizen"], "national_id": nid, "mobile": mobile}
    # SQLAlchemy logs every statement with its parameters at INFO: the INSERT carries both.
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    caplog.set_level(logging.DEBUG, logger="hub")
    filed = api.post(
        "/v1/requests",
        json=citizen_request(citizen=citizen, description=f"تماس با {mobile}، کد ملی {nid}"),
    )
    assert filed.status_code == 201, filed.text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "INSERT INTO requests" in logged  # the log did record the intake
    assert nid not in logged and mobile not in logged
    assert f"{'*' * 8}{nid[-2:]}" in logged and f"09{'*' * 7}{mobile[-2:]}" in logged
