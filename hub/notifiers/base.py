"""The notifier contract and the registry the ``hub_register_notifiers`` hook fills."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from hub.errors import PluginError
from hub.settings import Settings


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

    def close(self) -> None:
        """Release connections; called when the process stops."""


class NotifierRegistry:
    """Notifier types by channel; a channel may be registered once."""

    def __init__(self) -> None:
        self._types: dict[str, type[Notifier]] = {}

    def add(self, notifier_type: type[Notifier]) -> None:
        channel = getattr(notifier_type, "channel", "")
        if not isinstance(channel, str) or not channel:
            raise PluginError(f"{notifier_type.__qualname__} has no 'channel' name")
        if channel in self._types:
            other = self._types[channel]
            raise PluginError(
                f"notifier channel {channel!r} is registered twice: by "
                f"{other.__module__}.{other.__qualname__} and by "
                f"{notifier_type.__module__}.{notifier_type.__qualname__}"
            )
        self._types[channel] = notifier_type

    def get(self, channel: str) -> type[Notifier]:
        try:
            return self._types[channel]
        except KeyError:
            known = ", ".join(sorted(self._types)) or "none"
            raise PluginError(f"no notifier for channel {channel!r} (known: {known})") from None

    def channels(self) -> list[str]:
        return sorted(self._types)
