"""An agency's message kept whole: read from its RFC 822 bytes, stored beside its update.

A connector that reads messages (the email connector) puts the whole message in its update's
``raw["rfc822"]``: base64 of the bytes as received. :func:`take_original` takes it out of
``raw`` (the ``agency_updates`` row keeps the rest) and :func:`store_message` stores it in
``agency_messages`` — headers, plain text, HTML, the original — with every other part as a row
of ``message_attachments``: an official letter as PDF or JPEG, an inline image, a forwarded mail.
Nothing odd is dropped: a text part in an unknown charset is read with replacement characters,
a part that is not a body is an attachment, and the original stays beside what was read.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import mimetypes
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from typing import Any

import lxml.html
from lxml.etree import ParserError
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from hub.db.models_messages import AgencyMessage, MessageAttachment

log = logging.getLogger(__name__)
RFC822 = "rfc822"  # the key of AgencyUpdate.raw holding the whole message, base64


@dataclass(frozen=True)
class File:
    filename: str
    content_type: str
    content: bytes


@dataclass
class ReadMessage:
    headers: list[list[str]] = field(default_factory=list)  # [name, value], in order
    text: str | None = None
    html: str | None = None
    files: list[File] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


@dataclass(frozen=True)
class AttachmentInfo:
    """An attachment without its bytes: what a page lists."""

    id: int
    message_id: int
    filename: str
    content_type: str
    size: int
    sha256: str


def take_original(raw: Mapping[str, Any]) -> tuple[dict[str, Any], bytes | None]:
    """``raw`` without the whole message, and the message's bytes (None: it carries none).

    A value that is not base64 stays in ``raw``: kept, if not readable as a message."""
    rest = dict(raw)
    encoded = rest.pop(RFC822, None)
    if encoded is None:
        return rest, None
    try:
        return rest, base64.b64decode(str(encoded), validate=True)
    except (binascii.Error, ValueError):
        log.error("an update's raw.%s is not base64: kept as it came", RFC822)
        rest[RFC822] = encoded
        return rest, None


def read_message(original: bytes) -> ReadMessage:
    """Headers, the first plain and HTML bodies, and every other part as a file."""
    message = BytesParser(policy=default_policy).parsebytes(original)
    read = ReadMessage(
        headers=[[name, _header(name, value)] for name, value in message.raw_items()]
    )
    _read_part(message, read)
    return read


def _header(name: str, value: str) -> str:
    """A header's value decoded (RFC 2047: a Persian subject), or as it came if it will not."""
    try:
        return str(default_policy.header_fetch_parse(name, value))
    except Exception:  # a mangled header of a stranger's mail: whatever it raises, keep it raw
        return str(value)


def _read_part(part: Message, read: ReadMessage) -> None:
    if part.get_content_maintype() == "multipart":
        for sub in part.get_payload():
            if isinstance(sub, Message):
                _read_part(sub, read)
        return
    content_type = part.get_content_type()
    is_body = part.get_content_disposition() != "attachment" and not part.get_filename()
    if is_body and content_type == "text/plain" and read.text is None:
        read.text = _text_of(part)
    elif is_body and content_type == "text/html" and read.html is None:
        read.html = _text_of(part)
    else:
        read.files.append(_file_of(part, len(read.files) + 1))


def _text_of(part: Message) -> str:
    try:
        return str(part.get_content()) if isinstance(part, EmailMessage) else _decoded(part)
    except (LookupError, UnicodeError, ValueError):  # an unknown or lying charset
        return _decoded(part)


def _decoded(part: Message) -> str:
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else str(payload)


def _file_of(part: Message, position: int) -> File:
    content_type = part.get_content_type()
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):  # message/rfc822 and the like: the parts inside, whole
        inner = part.get_payload()
        messages = inner if isinstance(inner, list) else [inner]
        payload = b"".join(_bytes_of(m) for m in messages)
    extension = ".eml" if content_type == "message/rfc822" else None
    extension = extension or mimetypes.guess_extension(content_type) or ".bin"
    return File(part.get_filename() or f"part-{position}{extension}", content_type, payload)


def _bytes_of(inner: Any) -> bytes:
    if isinstance(inner, Message):
        try:
            return inner.as_bytes()
        except (ValueError, TypeError, LookupError, UnicodeError):
            return str(inner).encode("utf-8", "replace")
    return str(inner).encode("utf-8", "replace")


def sent_at_of(read: ReadMessage) -> datetime | None:
    date = read.header("Date")
    try:
        moment = parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # "-0000": UTC, its zone unknown
    return moment


def store_message(
    session: Session,
    *,
    agency_update_id: int,
    agreement_id: str,
    referral_id: int | None,
    original: bytes,
    late: bool = False,
) -> AgencyMessage:
    """Store a message whole, with its attachments, in the session's transaction."""
    try:
        read = read_message(original)
    except Exception:  # the original is kept whatever the parser makes of it
        log.exception("a message of %s could not be read; kept as it came", agreement_id)
        read = ReadMessage(files=[File("message.eml", "message/rfc822", original)])
    message = AgencyMessage(
        agency_update_id=agency_update_id,
        agreement_id=agreement_id,
        referral_id=referral_id,
        message_id=(read.header("Message-ID") or "").strip() or None,  # folded by some servers
        sender=read.header("From"),
        subject=read.header("Subject"),
        sent_at=sent_at_of(read),
        headers=read.headers,
        text=read.text,
        html=read.html,
        original=original,
        size=len(original),
        late=late,
    )
    session.add(message)
    session.flush()
    for position, file in enumerate(read.files, start=1):
        session.add(
            MessageAttachment(
                message_id=message.id,
                position=position,
                filename=file.filename,
                content_type=file.content_type,
                size=len(file.content),
                sha256=hashlib.sha256(file.content).hexdigest(),
                content=file.content,
            )
        )
    session.flush()
    return message


def readable_text(message: AgencyMessage) -> str:
    """What a person reads: the plain text, or the HTML's text when there is no plain part."""
    if message.text is not None:
        return message.text
    html = message.html or ""
    if not html.strip():
        return ""
    try:
        return str(lxml.html.fromstring(html).text_content())
    except (ParserError, ValueError):
        return html


def messages_of(session: Session, referral_ids: Iterable[int]) -> list[AgencyMessage]:
    """The messages about these referrals, oldest first, without their originals."""
    ids = list(referral_ids)
    if not ids:
        return []
    return list(
        session.scalars(
            select(AgencyMessage)
            .options(defer(AgencyMessage.original))
            .where(AgencyMessage.referral_id.in_(ids))
            .order_by(AgencyMessage.id)
        )
    )


def message_of_update(session: Session, agency_update_id: int) -> AgencyMessage | None:
    return session.scalar(
        select(AgencyMessage)
        .options(defer(AgencyMessage.original))
        .where(AgencyMessage.agency_update_id == agency_update_id)
    )


def attachments_of(session: Session, message_ids: Iterable[int]) -> dict[int, list[AttachmentInfo]]:
    """Each message's attachments (their bytes left in the database), in order."""
    ids = list(message_ids)
    found: dict[int, list[AttachmentInfo]] = {i: [] for i in ids}
    if not ids:
        return found
    rows = session.execute(
        select(
            MessageAttachment.id,
            MessageAttachment.message_id,
            MessageAttachment.filename,
            MessageAttachment.content_type,
            MessageAttachment.size,
            MessageAttachment.sha256,
        )
        .where(MessageAttachment.message_id.in_(ids))
        .order_by(MessageAttachment.message_id, MessageAttachment.position)
    ).all()
    for row in rows:
        found[row.message_id].append(AttachmentInfo(*row))
    return found


def attachment(session: Session, attachment_id: int) -> MessageAttachment | None:
    return session.get(MessageAttachment, attachment_id)
