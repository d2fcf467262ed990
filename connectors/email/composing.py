"""The referral mail itself: headers that let replies find their referral, and its parts.

The Message-ID is derived from the referral's idempotency key, so every attempt to send one
referral produces the same Message-ID — a retried send is the same mail, never a second one.
Everything that reaches a header passes :func:`header_safe` first, and the message is built with
``email.policy.default``, which refuses CR/LF in header values as a second wall.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

import httpx

from connectors.email.rendering import RenderedReferral
from hub.core.http import make_client
from hub.core.mail_headers import encoded
from hub.plugins.connector import OutgoingReferral

REFERRAL_HEADER = "X-Samad-Referral"
TRACKING_HEADER = "X-Samad-Tracking-Code"
MESSAGE_ID_PREFIX = "samad."

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\x85]+")


def header_safe(value: str) -> str:
    """A header value with every line break and control character turned into one space."""
    return _CONTROL_CHARACTERS.sub(" ", value).strip()


def message_id_for(idempotency_key: str, domain: str) -> str:
    digest = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:32]
    return f"<{MESSAGE_ID_PREFIX}{digest}@{header_safe(domain)}>"


@dataclass(frozen=True)
class Envelope:
    sender: str
    recipients: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: str
    message_id_domain: str


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    content: bytes


def compose(
    referral: OutgoingReferral,
    rendered: RenderedReferral,
    envelope: Envelope,
    attachments: Sequence[Attachment] = (),
) -> EmailMessage:
    message_id = message_id_for(referral.idempotency_key, envelope.message_id_domain)
    message = referral_mail(referral, rendered, envelope, message_id)
    for attachment in attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        message.add_attachment(
            attachment.content,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=header_safe(attachment.name) or "attachment",
        )
    return message


def referral_mail(
    referral: OutgoingReferral, rendered: RenderedReferral, envelope: Envelope, message_id: str
) -> EmailMessage:
    """A mail about this referral: addresses, subject, the hub's headers, text and HTML parts.

    Every header value passes ``header_safe``: request text can't add a header or a recipient.
    """
    message = EmailMessage()
    message["From"] = header_safe(envelope.sender)
    message["To"] = ", ".join(header_safe(a) for a in envelope.recipients)
    if envelope.cc:
        message["Cc"] = ", ".join(header_safe(a) for a in envelope.cc)
    message["Reply-To"] = header_safe(envelope.reply_to)
    message["Subject"] = encoded("Subject", header_safe(rendered.subject))  # spaces kept at folds
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = message_id
    message[REFERRAL_HEADER] = header_safe(referral.reference)
    message[TRACKING_HEADER] = header_safe(referral.tracking_code)
    # Out-of-office robots answer nothing to this; human clerks still reply.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    return message


def gather_attachments(
    request: Mapping[str, Any], forward: bool, max_bytes: int
) -> tuple[list[Attachment], list[dict[str, str]]]:
    """The request's attachments to attach, and those to offer as links instead (if allowed).

    A file that is too large or cannot be fetched becomes a link: the clerk still reaches it,
    and one unreachable file does not hold the whole referral back.
    """
    files: list[Attachment] = []
    links: list[dict[str, str]] = []
    web_attachments = [a for a in request.get("attachments", []) if _is_web_url(a.get("url"))]
    if not forward or not web_attachments:
        # Not allowed by the agreement: the agency gets neither the files nor links to them.
        return files, links
    with make_client() as client:
        for item in web_attachments:
            fetched = _fetch(client, item, max_bytes)
            if fetched is None:
                links.append(_link(item))
            else:
                files.append(fetched)
    return files, links


def _fetch(client: httpx.Client, item: Mapping[str, Any], max_bytes: int) -> Attachment | None:
    if int(item.get("size") or 0) > max_bytes:
        return None
    try:
        response = client.get(item["url"])
        response.raise_for_status()
    except httpx.HTTPError:
        return None
    if len(response.content) > max_bytes:
        return None
    content_type = item.get("content_type") or response.headers.get("content-type", "")
    return Attachment(
        name=item.get("name") or item["url"].rsplit("/", 1)[-1],
        content_type=content_type.split(";")[0].strip() or "application/octet-stream",
        content=response.content,
    )


def _link(item: Mapping[str, Any]) -> dict[str, str]:
    return {"name": item.get("name") or item["url"], "url": item["url"]}


def _is_web_url(url: object) -> bool:
    return isinstance(url, str) and url.startswith(("https://", "http://"))
