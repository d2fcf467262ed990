"""What a reply source hands the connector: one stored mail and the key to acknowledge it by.

A mail the hub will hold for a person's review (a reply it cannot interpret, a mail that
matches no referral) is acknowledged by its key marked with :func:`for_review`: the source then
moves it to its review folder ("Needs review") instead of the processed one, flagged and left
unread, so a person opening the mailbox finds it there and never among the processed mails. The
mark travels in the update's ``raw["mailbox_key"]``, the key the connector acknowledges an update
by; the mail's plain key, acknowledged beside it, then gives way to the marked one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from hub.plugins.connector import AgencyUpdate, UpdateKind

REVIEW_MARK = "needs-review/"  # never in a key itself: Maildir keys are file names, IMAP's digits


def for_review(key: str) -> str:
    """The key that acknowledges a mail into the review folder."""
    return key if key.startswith(REVIEW_MARK) else f"{REVIEW_MARK}{key}"


def held_for_review(update: AgencyUpdate) -> AgencyUpdate:
    """``update``, acknowledged into the review folder if the hub will hold it for a person: a
    reply the connector could not read, or a mail (a bounce too) that names no referral."""
    named = update.external_id or update.referral_reference
    if update.kind is not UpdateKind.UNMATCHED and named:
        return update
    key = for_review(str(update.raw["mailbox_key"]))
    return dataclasses.replace(update, raw={**update.raw, "mailbox_key": key})


def sort_for_review(keys: Iterable[str]) -> tuple[list[str], list[str]]:
    """(keys of mails processed, keys of mails for review — unmarked), each mail in one list."""
    keys = list(keys)
    review = sorted({key.removeprefix(REVIEW_MARK) for key in keys if key.startswith(REVIEW_MARK)})
    processed = sorted({key for key in keys if not key.startswith(REVIEW_MARK)} - set(review))
    return processed, review


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
