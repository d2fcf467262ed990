"""Real mail servers for the email connector's tests: aiosmtpd and a private Dovecot.

Dovecot runs as a child process with its own throw-away configuration, passwd-file users and
maildirs under a temporary directory, listening on free loopback ports (plain IMAP with STARTTLS,
and implicit-TLS IMAPS). Certificates come from a test CA made by ``trustme``.
"""

from __future__ import annotations

import imaplib
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import jsonschema
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from connectors.email.connector import EmailConnector
from hub.plugins.connector import ConnectorContext, OutgoingReferral
from hub.sandbox.server import free_port

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
MAIL_USER = "dovecot"  # Dovecot refuses mail access as root; the mail files belong to this user


@dataclass
class Certificates:
    """A test CA and a certificate for 127.0.0.1/localhost, also written as PEM files."""

    directory: Path
    ca: trustme.CA = field(default_factory=trustme.CA)

    def __post_init__(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.server = self.ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = self.directory / "ca.pem"
        self.cert_file = self.directory / "server.pem"
        self.key_file = self.directory / "server.key"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self.server.private_key_pem.write_to_path(str(self.key_file))
        with self.cert_file.open("wb") as chain:
            for blob in self.server.cert_chain_pems:
                chain.write(blob.bytes())
        for path in (self.directory, self.ca_file, self.cert_file, self.key_file):
            path.chmod(0o755 if path.is_dir() else 0o644)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server.configure_cert(context)
        return context

    def client_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        self.ca.configure_trust(context)
        return context


class _Recorder:
    def __init__(self, server: SmtpServer) -> None:
        self._server = server

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        refusal = self._server.refuse.get(address)
        if refusal:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._server.drop_after_data:
            self._server.drop_after_data -= 1
            self._server.messages.append(_parse(envelope.original_content or b""))
            # The mail was taken but the client never hears so: an ambiguous failure.
            server.transport.close()
            return "250 never seen by the client"
        self._server.messages.append(_parse(envelope.original_content or b""))
        self._server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted"


def _parse(raw: bytes) -> EmailMessage:
    return BytesParser(policy=default_policy).parsebytes(raw)


class SmtpServer:
    """aiosmtpd on a free port that records what it got; optionally TLS and login."""

    def __init__(
        self,
        certificates: Certificates | None = None,
        security: str = "none",
        login: tuple[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.security = security
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refuse: dict[str, str] = {}  # address → SMTP answer to its RCPT
        self.drop_after_data = 0
        self.logins: list[str] = []
        options: dict[str, Any] = {"server_hostname": "smtp.test"}
        if security == "starttls" and certificates:
            options.update(tls_context=certificates.server_context(), require_starttls=True)
        if security == "tls" and certificates:
            options.update(ssl_context=certificates.server_context(), auth_require_tls=False)
        if login:
            # aiosmtpd cannot tell implicit TLS from plain text, so on implicit TLS it may only
            # offer AUTH, not require it (requiring it there raises a warning: an error here).
            required = security != "tls"
            options.update(authenticator=self._authenticator(login), auth_required=required)
        self._controller = Controller(
            _Recorder(self), hostname="127.0.0.1", port=self.port, **options
        )

    def _authenticator(self, login: tuple[str, str]) -> Any:
        def authenticate(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and (
                    data.login.decode(),
                    data.password.decode(),
                )
                == login
            )
            if ok:
                self.logins.append(login[0])
            return AuthResult(success=ok, handled=False)

        return authenticate

    def start(self) -> SmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()


DOVECOT_CONF = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
default_internal_user = dovecot
default_login_user = dovenull
mail_location = maildir:{root}/mail/%u
# The run's worker keeps one IMAP session open per agreement, and the run makes many agreements
# of the same account (Dovecot's default allows 10 per user and address).
protocol imap {{
  mail_max_userip_connections = 100
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/passwd
}}
"""


class Dovecot:
    """A private Dovecot: ``imap_port`` (plain, STARTTLS offered) and ``imaps_port`` (TLS)."""

    def __init__(self, certificates: Certificates, users: dict[str, str]) -> None:
        self.certificates = certificates
        self.users = users
        # pytest's tmp dirs are private to root; Dovecot's own users must traverse this one.
        self.root = Path(tempfile.mkdtemp(prefix="samad-dovecot-"))
        self.root.chmod(0o755)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self._process: subprocess.Popen[bytes] | None = None
        self._configure()

    def maildir(self, user: str) -> Path:
        return self.root / "mail" / user

    def _configure(self) -> None:
        uid, gid = _ids_of(MAIL_USER)
        (self.root / "mail").mkdir()
        os.chown(self.root / "mail", uid, gid)
        lines = [
            f"{name}:{password}:{uid}:{gid}::{self.root}/home/{name}::"
            for name, password in self.users.items()
        ]
        (self.root / "passwd").write_text("\n".join(lines) + "\n")
        (self.root / "dovecot.conf").write_text(
            DOVECOT_CONF.format(
                root=self.root,
                cert=self.certificates.cert_file,
                key=self.certificates.key_file,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
            )
        )

    def start(self, timeout: float = 10.0) -> Dovecot:
        self._process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout
        while not (_listening(self.imap_port) and _listening(self.imaps_port)):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"dovecot did not start: {self.log()}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
            if process.stderr is not None:
                process.stderr.close()
        deadline = time.monotonic() + 10
        while _listening(self.imap_port) and time.monotonic() < deadline:
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else "(no log)"


def _ids_of(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def imap_client(dovecot: Dovecot, user: str, password: str) -> imaplib.IMAP4_SSL:
    """A logged-in IMAPS session of the test itself (to prepare or inspect a mailbox)."""
    client = imaplib.IMAP4_SSL(
        "127.0.0.1",
        dovecot.imaps_port,
        ssl_context=dovecot.certificates.client_context(),
        timeout=5,
    )
    client.login(user, password)
    return client


def mailbox_flags(dovecot: Dovecot, user: str, password: str, mailbox: str) -> list[str]:
    """The flags of every mail in ``mailbox``, oldest first."""
    client = imap_client(dovecot, user, password)
    try:
        _, [count] = client.select(f'"{mailbox}"', readonly=True)
        if count == b"0":
            return []
        _, data = client.fetch("1:*", "(FLAGS)")
        return [item.decode() for item in data if isinstance(item, bytes)]
    finally:
        client.logout()


def create_mailbox(dovecot: Dovecot, user: str, password: str, mailbox: str) -> None:
    client = imap_client(dovecot, user, password)
    try:
        status, data = client.create(f'"{mailbox}"')
        assert status == "OK", data
    finally:
        client.logout()


# --- the email connector, set up as an agreement would set it up -------------------------------

STATUS_MAP = {
    "رؤیت شد": "viewed",
    "در دست اقدام": "in_progress",
    "رسیدگی شد": "resolved",
    "عدم صلاحیت": "returned",
    "VIEWED": "viewed",
    "IN_PROGRESS": "in_progress",
    "RESOLVED": "resolved",
    "RETURNED": "returned",
}

AGENCY_ADDRESS = "dabirkhaneh@gorgan-municipality.sandbox"
HUB_ADDRESS = "سامانه ۱۱۱ گلستان <samad@golestan111.test>"


def email_settings(smtp_port: int, replies: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "security": "none", "timeout_seconds": 5},
        "from": HUB_ADDRESS,
        "to": [AGENCY_ADDRESS],
        "replies": replies,
    }
    settings.update(overrides)
    return settings


def maildir_replies(path: Path) -> dict[str, Any]:
    return {"source": "maildir", "path": str(path)}


def imap_replies(
    dovecot: Dovecot, user: str, password: str, mailbox: str, **more: Any
) -> dict[str, Any]:
    return {
        "source": "imap",
        "host": "127.0.0.1",
        "port": dovecot.imaps_port,
        "security": "tls",
        "username": user,
        "password": password,
        "ca_file": str(dovecot.certificates.ca_file),
        "mailbox": mailbox,
        "timeout_seconds": 5,
        **more,
    }


def make_connector(settings: dict[str, Any], work_dir: Path) -> EmailConnector:
    jsonschema.validate(settings, EmailConnector.settings_schema)
    context = ConnectorContext(
        agreement_id="golestan-gorgan-municipality",
        mapping={},
        status_map=STATUS_MAP,
        config_dir=work_dir,
        cache_dir=work_dir / "cache",
    )
    return EmailConnector(settings, context)


def referral(number: int = 123, **overrides: Any) -> OutgoingReferral:
    values: dict[str, Any] = {
        "referral_id": number,
        "reference": f"R-1404-{number:07d}-1",
        "tracking_code": f"111-{number:06d}",
        "idempotency_key": f"referral-{number}-key",
        "agreement_id": "golestan-gorgan-municipality",
        "fields": {"نام شهروند": "مریم احمدی", "تلفن همراه": "09111234567"},
        "request": {
            "category": "municipality.waste",
            "subject": "انباشت زباله در کوچه",
            "description": "زباله‌ها سه روز است جمع‌آوری نشده‌اند.",
            "location": {"county": "گرگان", "city": "گرگان", "address": "خیابان ولیعصر، کوچه ۱۲"},
        },
        "deadlines": {
            "view": datetime(2025, 10, 7, 7, 0, tzinfo=UTC),
            "result": datetime(2025, 10, 14, 10, 30, tzinfo=UTC),
        },
    }
    values.update(overrides)
    return OutgoingReferral(**values)
