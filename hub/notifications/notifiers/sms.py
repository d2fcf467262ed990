"""SMS through a Kavenegar-style REST gateway (``SAMAD_SMS_URL``, ``SAMAD_SMS_API_KEY``).

``POST {url}/v1/{api_key}/sms/send.json`` with ``receptor``, ``sender``, ``message`` and
``localid`` — the notification's own id, which the gateway uses to refuse a second copy. The
answer is always HTTP 200; success or failure is in the body: ``{"return": {"status": 200,
"message": …}, "entries": [{"messageid": …}]}``. Some codes mean "try later" (the gateway busy,
credit used up), the rest mean "never" (a bad number, a bad key).

A ``localid`` the gateway has seen before is answered with *that* message, whoever it went to. The
id is a row id, unique in one database only: a second hub on the same account, or a database
made again from scratch, reuses it. So the answer's ``receptor`` must be the number we sent to;
another number means the citizen got nothing, and that is a permanent failure, not "sent".
"""

from __future__ import annotations

from typing import Any

import httpx

from hub.core.errors import NotifierError
from hub.core.http import make_client
from hub.core.settings import Settings
from hub.plugins.notifier import Notifier, OutgoingMessage

# Codes worth trying again: 402 operation failed, 409 server busy, 418 credit used up,
# 429 too many requests; and the gateway's own 5xx.
TRANSIENT_CODES = frozenset({402, 409, 418, 429})


class KavenegarSmsNotifier(Notifier):
    channel = "sms"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self._client = make_client(timeout=10.0)

    def send(self, message: OutgoingMessage) -> str:
        if not self.settings.sms_url or not self.settings.sms_api_key:
            raise NotifierError(
                "no SMS gateway configured (SAMAD_SMS_URL, SAMAD_SMS_API_KEY)", permanent=True
            )
        url = f"{self.settings.sms_url.rstrip('/')}/v1/{self.settings.sms_api_key}/sms/send.json"
        form = {
            "receptor": message.recipient,
            "sender": self.settings.sms_sender,
            "message": message.body,
            "localid": str(message.notification_id),
        }
        try:
            response = self._client.post(url, data=form)
        except httpx.TimeoutException as exc:
            raise NotifierError(f"SMS gateway did not answer in time: {exc}") from exc
        except httpx.HTTPError as exc:
            raise NotifierError(f"SMS gateway unreachable: {exc}") from exc
        return _message_id(response, message)

    def close(self) -> None:
        self._client.close()


def _message_id(response: httpx.Response, message: OutgoingMessage) -> str:
    if response.status_code >= 500:
        raise NotifierError(f"SMS gateway answered HTTP {response.status_code}")
    try:
        body: Any = response.json()
        status = int(body["return"]["status"])
        text = str(body["return"].get("message", ""))
    except (ValueError, KeyError, TypeError) as exc:
        raise NotifierError(
            f"SMS gateway answered something unreadable: {response.text[:200]!r}"
        ) from exc
    if status != 200:
        raise NotifierError(
            f"SMS gateway refused ({status}): {text}",
            permanent=status not in TRANSIENT_CODES and status < 500,
            code=str(status),
        )
    try:
        entry = body["entries"][0]
        message_id = str(entry["messageid"])
    except (KeyError, IndexError, TypeError) as exc:
        raise NotifierError(f"SMS gateway accepted but gave no message id: {body!r}") from exc
    receptor = str(entry.get("receptor") or message.recipient)
    if not _same_number(receptor, message.recipient):
        raise NotifierError(
            f"SMS gateway answered local id {message.notification_id} with its message "
            f"{message_id} to another number: the local id is taken on this account "
            "(another hub, or a database made again?), so this SMS was not sent",
            permanent=True,
            code="localid_taken",
        )
    return message_id


def _same_number(one: str, other: str) -> bool:
    """The same mobile, whether written 0912…, 98912… or +98 912…"""
    return _digits(one)[-10:] == _digits(other)[-10:]


def _digits(number: str) -> str:
    return "".join(ch for ch in number if ch.isdigit())
