"""The notifier contract and the registry the ``hub_register_notifiers`` hook fills."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from hub.core.settings import Settings
from hub.plugins.registry import Registry

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hub.db.models_deadlines import Notification


@dataclass(frozen=True)
class OutgoingMessage:
    """One recorded notification, as a notifier sees it."""

    notification_id: int
    key: str  # unique and stable across retries: send it where the gateway dedupes
    recipient: str  # a mobile (09xxxxxxxxx) for sms, an address for email
    subject: str
    body: str


class Notifier:
    """Subclass, set ``channel``, implement ``send``."""

    channel: ClassVar[str] = ""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: OutgoingMessage) -> str:
        """Hand ``message`` over; return the gateway's id for it. Raise NotifierError."""
        raise NotImplementedError

    def fallback(self, session: Session, failed: Notification) -> list[str]:
        """Record a message this channel finally failed to send another way, in ``session``.

        Called once, when the message is given up (a permanent error or its last attempt), before
        the alert is written; returns where it was recorded instead (addresses), or nothing. By
        default a channel has no other way.
        """
        return []

    def close(self) -> None:
        """Release connections; called when the process stops."""


class NotifierRegistry(Registry[type[Notifier]]):
    """Notifier types by ``channel``, filled by the ``hub_register_notifiers`` hook."""

    def __init__(self) -> None:
        super().__init__("notifier for channel", "channel")

    def channels(self) -> list[str]:
        return self.names()
