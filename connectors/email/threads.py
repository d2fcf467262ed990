"""Finding which referral a reply or a bounce is about.

First the mail's thread headers (``In-Reply-To``, ``References``) — any mail program keeps them —
then, for clerks who wrote a fresh mail instead of replying, the reference in the subject.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message

from connectors.email.composing import MESSAGE_ID_PREFIX, REFERRAL_HEADER
from connectors.email.replies import normalise
from hub.plugins.connector import Receipt

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


@dataclass(frozen=True)
class Thread:
    """The referral a mail belongs to, as far as it can tell."""

    external_id: str | None  # the referral mail's Message-ID, as in the Receipt
    reference: str | None  # the referral's reference, e.g. R-1405-0000123-1

    @property
    def found(self) -> bool:
        return self.external_id is not None or self.reference is not None


class ThreadFinder:
    """Matches mails to referrals by the receipts the hub holds and the hub's own id shapes."""

    def __init__(self, receipts: Iterable[Receipt], domain: str, pattern: re.Pattern[str]) -> None:
        self._by_message_id = {r.external_id: r for r in receipts}
        self._by_reference = {
            str(r.raw["reference"]): r for r in self._by_message_id.values() if "reference" in r.raw
        }
        self._own_suffix = f"@{domain}>".casefold()
        self._pattern = pattern

    def find(self, headers: Mapping[str, str] | Message) -> Thread:
        message_ids = referred_message_ids(headers)
        known = [m for m in message_ids if m in self._by_message_id]
        if known:
            receipt = self._by_message_id[known[0]]
            return Thread(known[0], _reference_of(receipt))
        ours = [m for m in message_ids if self._is_ours(m)]
        reference = self.reference_in(str(headers.get(REFERRAL_HEADER) or ""))
        reference = reference or self.reference_in(str(headers.get("Subject") or ""))
        if ours:
            return Thread(ours[0], reference)
        if reference and reference in self._by_reference:
            return Thread(self._by_reference[reference].external_id, reference)
        return Thread(None, reference)

    def reference_in(self, text: str) -> str | None:
        found = self._pattern.search(normalise(text))
        return found.group(0) if found else None

    def _is_ours(self, message_id: str) -> bool:
        folded = message_id.casefold()
        return folded.startswith(f"<{MESSAGE_ID_PREFIX}") and folded.endswith(self._own_suffix)


def referred_message_ids(headers: Mapping[str, str] | Message) -> list[str]:
    """Message-IDs this mail answers, the one it answers directly first."""
    found: list[str] = []
    for name in ("In-Reply-To", "References"):
        for message_id in _MESSAGE_ID.findall(str(headers.get(name) or "")):
            if message_id not in found:
                found.append(message_id)
    return found


def _reference_of(receipt: Receipt) -> str | None:
    reference = receipt.raw.get("reference")
    return str(reference) if reference else None
