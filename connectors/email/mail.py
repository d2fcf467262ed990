"""What a reply source hands the connector: one stored mail and the key to acknowledge it by."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class StoredMail:
    key: str  # the source's own handle: a Maildir key, or "<uidvalidity>:<uid>" on IMAP
    raw: bytes


class ReplySource(Protocol):
    """A mailbox the agency's replies arrive in (IMAP or Maildir)."""

    def fetch(self) -> list[StoredMail]:
        """Mails not yet acknowledged, oldest first; reading never marks them."""

    def acknowledge(self, keys: Iterable[str]) -> None:
        """Mark or move these mails: the hub has stored what they said."""

    def check(self) -> str:
        """Reach the mailbox; a sentence saying what was found."""

    def close(self) -> None: ...
