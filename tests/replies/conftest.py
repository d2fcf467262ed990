"""The review queue's tests: an agency answering by mail into the run's private Dovecot.

Set before the run's worker starts (it reads them once): the IMAP password the agreements name as
``${env:…}``, a beat that sweeps waiting replies every half second (the age stays the
default, an hour; a test makes a reply old by moving its review's ``created_at`` back), and a
port for the worker's metrics, whose poll counts tell a test that the worker polled again
(:mod:`tests.replies.polls`; another conftest may have chosen the port already).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator

import pytest

from hub.sandbox.server import free_port
from tests.connectors.conftest import IMAP_PASSWORD, dovecot, imap_mailbox, mail_certificates
from tests.replies.agency import PASSWORD_VARIABLE, MailAgency, agreements_dir, start_mail_agency
from tests.supervision.logins import PASSWORD
from tests.support.fixtures import Sandboxes
from tests.support.mailservers import Dovecot

__all__ = ["dovecot", "imap_mailbox", "mail_certificates"]

os.environ[PASSWORD_VARIABLE] = IMAP_PASSWORD
os.environ["SAMAD_REVIEW_SWEEP_EVERY_SECONDS"] = "0.5"
os.environ.setdefault("SAMAD_WORKER_METRICS_PORT", str(free_port()))


@pytest.fixture
def agency(dovecot: Dovecot, imap_mailbox: str, sandboxes: Sandboxes) -> Iterator[MailAgency]:
    """A mail agency of its own for one test; its agreement is removed afterwards, and every
    reply of it still waiting for review is dismissed (the run's database is shared)."""
    made = start_mail_agency(dovecot, imap_mailbox, agreements_dir())
    yield made
    made.remove()
    from tests.replies.reading import dismiss_waiting

    dismiss_waiting(made.agreement_id)


_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def dashboard_user(database: str) -> Callable[[str], str]:
    """``dashboard_user("admin")``: a new user of that role (password ``PASSWORD``)."""
    from hub.auth.passwords import create_user
    from hub.auth.roles import Role
    from hub.db.session import session_scope

    def make(role: str) -> str:
        username = f"replies-{role}-{next(_numbers)}"
        agreement = "golestan-water" if role == "agency" else None  # a clerk of one agency
        with session_scope() as session:
            create_user(session, username, PASSWORD, Role(role), agreement)
        return username

    return make
