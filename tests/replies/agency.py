"""An agency that answers by mail into a real IMAP mailbox, under an agreement of its own.

The referral mail goes by SMTP to the sandbox agency (whose clerk never answers by itself); the
test writes the clerk's reply — a real reply, in the referral's thread, with whatever attachments
— and APPENDs it to the hub's mailbox on the run's private Dovecot. The hub's real worker polls
that mailbox through the agreement's email connector.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import select

from hub.db.models import Referral
from hub.db.session import session_scope
from hub.sandbox.mail import ClerkAnswer, ImapAppend, MailAgencySandbox
from hub.sandbox.mail.clerk import write_reply
from tests.connectors.conftest import IMAP_PASSWORD, IMAP_USER
from tests.core.waiting import wait_for, wait_for_states
from tests.support.agreements import SAMPLES
from tests.support.mailservers import Dovecot, imap_client
from tests.support.requests import citizen_request

PASSWORD_VARIABLE = "SAMAD_TEST_REPLIES_IMAP_PASSWORD"
AGENCY_ADDRESS = "dabirkhaneh@gorgan-municipality.sandbox"


@dataclass
class Referred:
    code: str  # the request's tracking code
    reference: str
    referral_id: int
    external_id: str  # the referral mail's Message-ID
    mail: EmailMessage  # the referral mail as the agency received it


@dataclass
class MailAgency:
    dovecot: Dovecot
    agreement_id: str
    category: str
    mailbox: str
    sandbox: MailAgencySandbox
    path: Path
    replies: list[EmailMessage] = field(default_factory=list)

    @property
    def processed_mailbox(self) -> str:
        return f"{self.mailbox}-processed"

    def refer(self, api: httpx.Client) -> Referred:
        """A citizen's request to this agency, once its referral mail has been delivered."""
        body = api.post("/v1/requests", json=citizen_request(category=self.category)).json()
        code = body["tracking_code"]
        referral = wait_for_states(api, code, ["delivered"])["referrals"][0]
        mail = wait_for(
            lambda: next(
                (m for m in self.sandbox.received if m["Message-ID"] == referral["external_id"]),
                None,
            ),
            what="the referral mail at the agency",
        )
        with session_scope() as session:
            referral_id = session.scalars(
                select(Referral.id).where(Referral.reference == referral["reference"])
            ).one()
        return Referred(code, referral["reference"], referral_id, referral["external_id"], mail)

    def reply(
        self,
        referred: Referred,
        text: str,
        attachments: tuple[tuple[bytes, str, str, str], ...] = (),
    ) -> EmailMessage:
        """The clerk answers ``referred`` in its thread; attachments are (bytes, maintype,
        subtype, filename)."""
        reply = write_reply(referred.mail, AGENCY_ADDRESS, text)
        for content, maintype, subtype, filename in attachments:
            reply.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        self.deliver(reply)
        return reply

    def deliver(self, mail: EmailMessage) -> None:
        ImapAppend(
            "127.0.0.1",
            self.dovecot.imaps_port,
            IMAP_USER,
            IMAP_PASSWORD,
            mailbox=self.mailbox,
            ssl_context=self.dovecot.certificates.client_context(),
        ).deliver(mail)
        self.replies.append(mail)

    def flags_in(self, mailbox: str, message_id: str) -> list[str] | None:
        """The IMAP flags of the mail with this Message-ID in ``mailbox`` (None: not there)."""
        client = imap_client(self.dovecot, IMAP_USER, IMAP_PASSWORD)
        try:
            status, _ = client.select(f'"{mailbox}"', readonly=True)
            if status != "OK":
                return None
            _, found = client.uid("SEARCH", "HEADER", "Message-ID", message_id.strip("<>"))
            uids = found[0].split() if found and found[0] else []
            if not uids:
                return None
            _, data = client.uid("FETCH", uids[0].decode(), "(FLAGS)")
            return [flag.decode() for flag in _flags(data)]
        finally:
            client.logout()

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
        self.sandbox.stop()


def _flags(data: list[Any]) -> list[bytes]:
    text = b" ".join(item for item in data if isinstance(item, bytes))
    inside = text.partition(b"FLAGS (")[2].partition(b")")[0]
    return inside.split()


def start_mail_agency(dovecot: Dovecot, mailbox: str, agreements_dir: Path) -> MailAgency:
    """A new email agreement (its own id and category) whose replies come from ``mailbox``."""
    suffix = uuid.uuid4().hex[:8]
    agreement_id, category = f"mail-review-{suffix}", f"municipality.review_{suffix}"
    sandbox = MailAgencySandbox(
        delivery=_nowhere(), reply_delay=0.01, script=(ClerkAnswer(None),)
    ).start()
    document = yaml.safe_load(
        (SAMPLES / "golestan-gorgan-municipality.yaml").read_text(encoding="utf-8")
    )
    document["id"] = agreement_id
    document["routes"] = [{"categories": [category]}]
    document["polling"]["interval_seconds"] = 1
    settings = document["connector"]["settings"]
    settings["smtp"]["port"] = sandbox.port
    settings["replies"] = {
        "source": "imap",
        "host": "127.0.0.1",
        "port": dovecot.imaps_port,
        "security": "tls",
        "username": IMAP_USER,
        "password": "${env:" + PASSWORD_VARIABLE + "}",
        "ca_file": str(dovecot.certificates.ca_file),
        "mailbox": mailbox,
        "processed_mailbox": f"{mailbox}-processed",
        "timeout_seconds": 5,
    }  # no review_mailbox: the default, "Needs review"
    path = agreements_dir / f"{agreement_id}.yaml"
    partial = agreements_dir / f".{agreement_id}.partial"
    partial.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    partial.replace(path)  # a worker reloading mid-write must never see half a file
    return MailAgency(dovecot, agreement_id, category, mailbox, sandbox, path)


class _nowhere:
    """The clerk of this sandbox never answers by itself: the test writes the replies."""

    def deliver(self, message: EmailMessage) -> None:
        raise AssertionError("the sandbox clerk was not meant to answer")


def agreements_dir() -> Path:
    return Path(os.environ["SAMAD_AGREEMENTS_DIR"])
