"""Email notifications over SMTP (``SAMAD_SMTP_*``), Persian plain text in UTF-8.

SMTP answers ``5xx`` for "never" and ``4xx`` for "not now": 5xx and a missing relay are
permanent; 4xx, a dropped connection or a timeout are transient and retried. The notification's
key becomes the Message-ID, so a copy sent twice after a crash is recognisable as one message.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate

from hub.core.errors import NotifierError
from hub.core.mail_headers import encoded
from hub.plugins.notifier import Notifier, OutgoingMessage

TIMEOUT_SECONDS = 15


class EmailNotifier(Notifier):
    channel = "email"

    def send(self, message: OutgoingMessage) -> str:
        settings = self.settings
        if not settings.smtp_host:
            raise NotifierError("no SMTP relay configured (SAMAD_SMTP_HOST)", permanent=True)
        mail = self._compose(message)
        where = f"SMTP {settings.smtp_host}:{settings.smtp_port}"
        try:
            with self._connect() as smtp:
                smtp.send_message(mail, to_addrs=[message.recipient])
        except smtplib.SMTPRecipientsRefused as exc:
            code = max(code for code, _ in exc.recipients.values())
            raise NotifierError(
                f"{where} refused {message.recipient}: {exc.recipients}",
                permanent=code >= 500,
                code=str(code),
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise NotifierError(
                f"{where}: {exc.smtp_code} {exc.smtp_error!r}",
                permanent=exc.smtp_code >= 500,
                code=str(exc.smtp_code),
            ) from exc
        except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
            raise NotifierError(f"{where}: {exc}") from exc
        return str(mail["Message-ID"])

    def _compose(self, message: OutgoingMessage) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.smtp_from
        mail["To"] = message.recipient
        mail["Subject"] = encoded("Subject", message.subject)  # long Persian subjects intact
        mail["Date"] = formatdate(localtime=False)
        domain = self.settings.smtp_from.rsplit("@", 1)[-1].strip(">").strip() or "samad-hub"
        mail["Message-ID"] = f"<{_id_part(message.key)}@{domain}>"
        mail.set_content(message.body, charset="utf-8")
        return mail

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if settings.smtp_security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS
            )
        else:
            smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT_SECONDS)
        try:
            if settings.smtp_security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password)
        except BaseException:
            smtp.close()
            raise
        return smtp


def _id_part(key: str) -> str:
    return "".join(c if c.isalnum() or c in ".-_" else "." for c in key)
