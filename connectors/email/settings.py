"""The email connector's settings, read once from the agreement into typed objects.

The JSON Schema in ``settings.schema.json`` is the contract; these classes only give the code
names and defaults to lean on after the core has validated the agreement against it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from importlib import resources
from pathlib import Path
from typing import Any

from hub.core.settings import get_settings
from hub.intake.tracking import REFERENCE_PATTERN

SETTINGS_SCHEMA: dict[str, Any] = json.loads(
    resources.files(__package__).joinpath("settings.schema.json").read_text(encoding="utf-8")
)


@dataclass(frozen=True)
class ServerSettings:
    """Where and how to reach one mail server (SMTP or IMAP)."""

    host: str
    port: int
    security: str  # "tls" (implicit), "starttls" or "none"
    username: str | None
    password: str | None
    ca_file: str | None
    timeout: float


@dataclass(frozen=True)
class ImapSource:
    server: ServerSettings
    mailbox: str
    processed_mailbox: str | None
    review_mailbox: str | None = None  # replies held for a person's review; None: flagged only


@dataclass(frozen=True)
class MaildirSource:
    path: Path
    processed_folder: str | None
    review_folder: str | None = None


@dataclass(frozen=True)
class EmailSettings:
    smtp: ServerSettings
    sender: str
    recipients: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str
    message_id_domain: str
    templates_dir: Path | None
    forward_attachments: bool
    max_attachment_bytes: int
    reference_pattern: re.Pattern[str]
    replies: ImapSource | MaildirSource


def read_settings(raw: Mapping[str, Any], config_dir: Path) -> EmailSettings:
    """Typed settings from an agreement's (already validated and resolved) settings block."""
    sender = raw["from"]
    attachments = raw.get("attachments", {})
    templates_dir = raw.get("templates_dir")
    return EmailSettings(
        smtp=_server(raw["smtp"], default_security="starttls"),
        sender=sender,
        recipients=tuple(raw["to"]),
        cc=tuple(raw.get("cc", ())),
        reply_to=raw.get("reply_to", sender),
        message_id_domain=raw.get("message_id_domain") or _domain_of(sender),
        templates_dir=(config_dir / templates_dir) if templates_dir else None,
        forward_attachments=bool(attachments.get("forward", False)),
        max_attachment_bytes=int(attachments.get("max_bytes", 10 * 1024 * 1024)),
        # By default the hub's own reference format itself, not a copy that could drift from it.
        reference_pattern=re.compile(raw.get("reference_pattern", REFERENCE_PATTERN)),
        replies=_reply_source(raw["replies"]),
    )


def _server(raw: Mapping[str, Any], default_security: str) -> ServerSettings:
    return ServerSettings(
        host=raw["host"],
        port=int(raw["port"]),
        security=raw.get("security", default_security),
        username=raw.get("username"),
        password=raw.get("password"),
        ca_file=raw.get("ca_file"),
        timeout=float(raw.get("timeout_seconds", 30)),
    )


def _reply_source(raw: Mapping[str, Any]) -> ImapSource | MaildirSource:
    if raw["source"] == "imap":
        return ImapSource(
            server=_server(raw, default_security="tls"),
            mailbox=raw.get("mailbox", "INBOX"),
            processed_mailbox=raw.get("processed_mailbox"),
            review_mailbox=raw.get("review_mailbox", _REVIEW_FOLDER) or None,
        )
    return MaildirSource(
        path=resolve_data_dir(raw["path"]),
        processed_folder=raw.get("processed_folder"),
        review_folder=raw.get("review_folder", _REVIEW_FOLDER) or None,
    )


# Where replies held for review go unless the agreement says otherwise ("Needs review").
_REVIEW_FOLDER = SETTINGS_SCHEMA["properties"]["replies"]["properties"]["review_mailbox"]["default"]


def resolve_data_dir(path: str) -> Path:
    """Expand ``${data_dir}``: the core resolves only ``${env:…}``, so the connector does this."""
    data_dir = str(get_settings().data_dir)
    return Path(path.replace("${data_dir}", data_dir)).expanduser()


def _domain_of(address: str) -> str:
    _, bare = parseaddr(address)
    return bare.rpartition("@")[2] or "samad-hub.invalid"
