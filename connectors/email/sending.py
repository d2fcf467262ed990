"""Handing one message to an SMTP server, and what its answers mean for a retry.

SMTP says ``5xx`` for "never" and ``4xx`` for "not now". The hub retries what is not permanent,
so: every recipient refused with 5xx, or the message refused with 5xx → :class:`ConnectorRefused`;
4xx, a dropped connection, a timeout → a transient :class:`ConnectorError`. A timeout or a
dropped connection is also *ambiguous*: the server may have taken the mail before the line
dropped, so a resend is safe only as the same mail (the Message-ID: ``idempotency: header``).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage

from connectors.email.settings import ServerSettings
from connectors.email.tls import client_context, is_certificate_problem
from hub.core.errors import ConnectorError, ConnectorRefused, ConnectorTimeout


def send(server: ServerSettings, message: EmailMessage, recipients: list[str]) -> dict[str, str]:
    """Send ``message``; returns the recipients that refused it while others accepted it."""
    with translated_errors(server), _connect(server) as smtp:
        refused = smtp.send_message(message, to_addrs=recipients)
    return {address: f"{code} {_text(text)}" for address, (code, text) in refused.items()}


def probe(server: ServerSettings) -> None:
    """Connect, secure and log in, then leave; raises like :func:`send`."""
    with translated_errors(server), _connect(server) as smtp:
        smtp.noop()


@contextmanager
def translated_errors(server: ServerSettings) -> Iterator[None]:
    where = f"SMTP {server.host}:{server.port}"
    try:
        yield
    except smtplib.SMTPRecipientsRefused as exc:
        raise _recipients_refused(exc.recipients) from exc
    except smtplib.SMTPResponseException as exc:
        raise _by_code(exc.smtp_code, _text(exc.smtp_error), f"{where} refused") from exc
    except smtplib.SMTPNotSupportedError as exc:
        raise ConnectorRefused(f"{where} does not support what the agreement asks: {exc}") from exc
    except TimeoutError as exc:
        timeout = ConnectorTimeout(f"{where} did not answer in time")
        timeout.ambiguous = True
        raise timeout from exc
    except ssl.SSLError as exc:
        raise ConnectorError(
            f"TLS with {where} failed: {exc}", permanent=is_certificate_problem(exc)
        ) from exc
    except (smtplib.SMTPConnectError, ConnectionRefusedError) as exc:  # never got in
        raise ConnectorError(f"{where}: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise ConnectorError(f"{where}: {exc}", ambiguous=True) from exc


def _connect(server: ServerSettings) -> smtplib.SMTP:
    if server.security == "tls":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(
            server.host,
            server.port,
            timeout=server.timeout,
            context=client_context(server.ca_file),
        )
    else:
        smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        if server.security == "starttls":
            smtp.starttls(context=client_context(server.ca_file))
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def _recipients_refused(recipients: dict[str, tuple[int, bytes]]) -> ConnectorError:
    detail = {address: f"{code} {_text(text)}" for address, (code, text) in recipients.items()}
    summary = "; ".join(f"{address}: {reason}" for address, reason in detail.items())
    if all(code >= 500 for code, _ in recipients.values()):
        return ConnectorRefused(f"every recipient was refused: {summary}", detail=detail)
    return ConnectorError(f"recipients refused for now: {summary}", detail=detail)


def _by_code(code: int, text: str, what: str) -> ConnectorError:
    message = f"{what}: {code} {text}"
    if code >= 500:
        return ConnectorRefused(message, detail={"smtp_code": code})
    return ConnectorError(message, permanent=False, detail={"smtp_code": code})


def _text(raw: bytes | str) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
