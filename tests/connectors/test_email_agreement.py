"""The sample Gorgan Municipality agreement: valid, and working against the email sandbox."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from connectors.email.connector import EmailConnector
from hub.agreements.loader import load_file, parse_agreement
from hub.core.errors import AgreementError
from hub.core.states import ReferralState
from hub.plugins.connector import ConnectorContext, UpdateKind
from hub.plugins.manager import make_plugin_manager
from hub.sandbox.mail import MailAgencySandbox
from tests.support.mailservers import referral

AGREEMENT = (
    Path(__file__).resolve().parents[2] / "config/agreements/golestan-gorgan-municipality.yaml"
)


def test_the_gorgan_municipality_agreement_loads_with_the_installed_email_connector() -> None:
    agreement = load_file(AGREEMENT, make_plugin_manager().connectors)

    assert agreement.connector_type == "email"
    assert agreement.name_fa == "شهرداری گرگان"
    assert agreement.map_status("رسیدگی شد") is ReferralState.RESOLVED
    assert agreement.map_status("RESOLVED") is ReferralState.RESOLVED


def test_a_literal_imap_password_in_an_agreement_is_refused() -> None:
    text = AGREEMENT.read_text(encoding="utf-8").replace(
        "      source: maildir\n",
        "      source: imap\n      host: mail.example\n      port: 993\n"
        "      username: samad\n      password: hunter2\n",
    )

    with pytest.raises(AgreementError, match=r"replies\.password"):
        parse_agreement(text, "gorgan.yaml", make_plugin_manager().connectors)


def test_the_sample_agreement_refers_to_the_sandbox_and_understands_its_clerk(
    tmp_path: Path,
) -> None:
    agreement = load_file(AGREEMENT, make_plugin_manager().connectors)
    settings = dict(agreement.connector_settings)
    # A mailbox of its own: other tests of the run leave their clerks' replies in the shared one.
    maildir = tmp_path / "replies"
    settings["replies"] = {**settings["replies"], "path": str(maildir)}
    context = ConnectorContext(
        agreement_id=agreement.id,
        mapping=agreement.mapping,
        status_map=agreement.status_map,
        config_dir=tmp_path,
        cache_dir=tmp_path / "cache",
    )
    with MailAgencySandbox(maildir=maildir, reply_delay=0.01) as agency:
        # The demo's port (8725) may be taken by a running demo: the sandbox picks a free one.
        connector = EmailConnector(
            {**settings, "smtp": {**settings["smtp"], "port": agency.port}}, context
        )
        receipt = connector.push(referral())
        deadline = time.monotonic() + 5
        while not (updates := connector.poll([receipt])) and time.monotonic() < deadline:
            time.sleep(0.05)
        connector.acknowledge(updates)

    [update] = updates
    assert update.kind is UpdateKind.STATUS
    assert agreement.map_status(str(update.status)) is ReferralState.RESOLVED
    assert update.external_id == receipt.external_id
    assert connector.poll([receipt]) == []
