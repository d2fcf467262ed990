"""Sending referrals by email: one Persian mail per referral, safe headers, honest errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from hub.core.errors import ConnectorError, ConnectorRefused
from hub.sandbox.mail import MailAgencySandbox
from hub.sandbox.server import BackgroundServer, free_port
from tests.support.mailservers import (
    AGENCY_ADDRESS,
    SmtpServer,
    email_settings,
    maildir_replies,
    make_connector,
    referral,
)


def connector_for(smtp: SmtpServer, tmp_path: Path, **overrides: object):
    settings = email_settings(smtp.port, maildir_replies(tmp_path / "replies"), **overrides)
    return make_connector(settings, tmp_path)


def test_it_sends_one_persian_mail_with_a_plain_and_an_rtl_html_part(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    receipt = connector_for(smtp_server, tmp_path).push(referral())

    [mail] = smtp_server.messages
    assert "انباشت زباله در کوچه" in mail["Subject"]
    assert "[R-1404-0000123-1]" in mail["Subject"]
    assert mail["X-Samad-Referral"] == "R-1404-0000123-1"
    assert receipt.external_id == mail["Message-ID"]
    plain = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert 'dir="rtl"' in html
    for text in (plain, html):
        assert "زباله‌ها سه روز است جمع‌آوری نشده‌اند." in text
        assert "مریم احمدی" in text
        assert "سه‌شنبه ۱۵ مهر ۱۴۰۴ ساعت ۱۰:۳۰" in text  # 07:00 UTC in Tehran, Jalali
        assert "وضعیت: رؤیت شد" in text  # how to reply, with the agreement's own keywords
    assert smtp_server.envelopes == [("samad@golestan111.test", [AGENCY_ADDRESS])]


def test_the_subject_travels_as_an_encoded_word(smtp_server: SmtpServer, tmp_path: Path) -> None:
    connector_for(smtp_server, tmp_path).push(referral())

    raw_subject = smtp_server.messages[0].as_bytes().split(b"Subject:")[1].split(b"\n")[0]
    assert raw_subject.strip().startswith(b"=?utf-8?")


def test_it_says_nothing_of_deadlines_when_the_referral_has_none(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    connector_for(smtp_server, tmp_path).push(referral(deadlines={}))

    mail = smtp_server.messages[0]
    for subtype in ("plain", "html"):
        text = mail.get_body(preferencelist=(subtype,)).get_content()
        assert "مهلت" not in text


def test_a_retry_after_an_ambiguous_failure_resends_the_very_same_mail(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    connector = connector_for(smtp_server, tmp_path)
    smtp_server.drop_after_data = 1  # the server takes the mail, then the line drops

    with pytest.raises(ConnectorError) as failure:
        connector.push(referral())
    assert failure.value.permanent is False
    receipt = connector.push(referral(attempt=2))

    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == receipt.external_id
    assert first.get_body(("plain",)).get_content() == second.get_body(("plain",)).get_content()


def test_the_agency_opens_one_case_for_a_referral_sent_twice(tmp_path: Path) -> None:
    with MailAgencySandbox(maildir=tmp_path / "replies", reply_delay=0.05) as agency:
        settings = email_settings(agency.port, maildir_replies(tmp_path / "replies"))
        connector = make_connector(settings, tmp_path)
        connector.push(referral())
        connector.push(referral(attempt=2))
        connector.push(referral(7))

    assert len(agency.received) == 3
    assert agency.distinct_referrals == 2


def test_a_recipient_refused_for_good_is_a_permanent_error(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp_server.refuse[AGENCY_ADDRESS] = "550 5.1.1 no such mailbox"

    with pytest.raises(ConnectorRefused, match="no such mailbox"):
        connector_for(smtp_server, tmp_path).push(referral())
    assert smtp_server.messages == []


def test_a_greylisted_recipient_is_tried_again_later(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp_server.refuse[AGENCY_ADDRESS] = "450 4.2.0 greylisted, try again later"

    with pytest.raises(ConnectorError, match="greylisted") as failure:
        connector_for(smtp_server, tmp_path).push(referral())
    assert failure.value.permanent is False


def test_one_refused_copy_does_not_stop_the_referral(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    smtp_server.refuse["boss@gorgan-municipality.sandbox"] = "550 5.1.1 gone"
    connector = connector_for(smtp_server, tmp_path, cc=["boss@gorgan-municipality.sandbox"])

    receipt = connector.push(referral())

    assert len(smtp_server.messages) == 1
    assert "boss@gorgan-municipality.sandbox" in receipt.raw["refused"]


def test_an_smtp_server_that_is_down_is_a_transient_error(tmp_path: Path) -> None:
    settings = email_settings(free_port(), maildir_replies(tmp_path / "replies"))

    with pytest.raises(ConnectorError) as failure:
        make_connector(settings, tmp_path).push(referral())
    assert failure.value.permanent is False


def test_request_text_cannot_inject_a_header(smtp_server: SmtpServer, tmp_path: Path) -> None:
    hostile = {
        "subject": "خرابی\r\nBcc: spy@evil.example\r\nX-Evil: 1",
        "description": "متن\r\n\r\nBcc: spy@evil.example",
        "location": {"county": "گرگان"},
    }
    connector_for(smtp_server, tmp_path).push(
        referral(request=hostile, reference="R-1404-0000123-1\nBcc: spy@evil.example")
    )

    [mail] = smtp_server.messages
    assert mail["Bcc"] is None and mail["X-Evil"] is None
    assert smtp_server.envelopes[0][1] == [AGENCY_ADDRESS]
    assert "\n" not in mail["Subject"] and "Bcc: spy@evil.example" in mail["Subject"]
    assert "\n" not in mail["X-Samad-Referral"]


def test_an_admin_template_replaces_the_built_in_subject(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    templates = tmp_path / "mail-templates"
    templates.mkdir()
    (templates / "subject.txt.j2").write_text("شهرداری گرگان - {{ reference }}", encoding="utf-8")

    connector_for(smtp_server, tmp_path, templates_dir="mail-templates").push(referral())

    assert smtp_server.messages[0]["Subject"] == "شهرداری گرگان - R-1404-0000123-1"


def test_a_broken_admin_template_is_a_permanent_error(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    templates = tmp_path / "mail-templates"
    templates.mkdir()
    (templates / "body.txt.j2").write_text("{% for %}", encoding="utf-8")
    connector = connector_for(smtp_server, tmp_path, templates_dir="mail-templates")

    with pytest.raises(ConnectorRefused, match="template"):
        connector.push(referral())
    assert any("body.txt.j2" in problem for problem in connector.check().problems)


def photo_server_app() -> Starlette:
    async def photo(request: object) -> Response:
        return Response(b"\x89PNG fake photo", media_type="image/png")

    return Starlette(routes=[Route("/files/photo.png", photo)])


def test_attachments_are_forwarded_only_when_the_agreement_allows(
    smtp_server: SmtpServer, tmp_path: Path
) -> None:
    with BackgroundServer(photo_server_app()) as files:
        attached = {
            "name": "عکس.png",
            "content_type": "image/png",
            "url": f"{files.url}/files/photo.png",
        }
        request = {**referral().request, "attachments": [attached]}
        allowed = connector_for(smtp_server, tmp_path, attachments={"forward": True})
        allowed.push(referral(request=request))
        connector_for(smtp_server, tmp_path).push(referral(request=request))

    forwarded, withheld = smtp_server.messages
    [attachment] = forwarded.iter_attachments()
    assert attachment.get_filename() == "عکس.png"
    assert attachment.get_content() == b"\x89PNG fake photo"
    assert list(withheld.iter_attachments()) == []
    assert files.url not in withheld.as_string()
