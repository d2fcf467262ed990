"""Finding which referral a reply or a bounce is about.

First the mail's thread headers (``In-Reply-To``, ``References``) — any mail program keeps them
on a reply — then, for clerks who forwarded the referral or wrote a fresh mail, the hub's own
``X-Samad-Referral`` header where it survived, then a reference in the subject, then in the text
(a forward carries the referral below), and last a tracking code (کد رهگیری) the clerk quoted.
References are looked for after Persian and Arabic-Indic digits become ASCII: the references of
the referrals being polled however the agreement spells them, and anything of the shape of
``reference_pattern`` (by default the hub's own, ``hub.intake.tracking.REFERENCE_PATTERN``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.message import Message

from connectors.email.composing import MESSAGE_ID_PREFIX, REFERRAL_HEADER
from connectors.email.replies import normalise
from hub.intake.tracking import TRACKING_CODE_LENGTH, is_valid_tracking_code
from hub.plugins.connector import Receipt

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_DASHES = str.maketrans(
    dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63\uff0d", "-")
)
_SPACED_DASH = re.compile(r"(?<=[0-9])\s*-\s*(?=[0-9])")
_TRACKING_CODE = re.compile(rf"(?<![0-9])[1-9][0-9]{{{TRACKING_CODE_LENGTH - 1}}}(?![0-9])")


@dataclass(frozen=True)
class Thread:
    """The referral a mail belongs to, as far as it can tell, and what told it."""

    external_id: str | None  # the referral mail's Message-ID, as in the Receipt
    reference: str | None  # the referral's reference, e.g. 13751159899-1
    found_by: str | None = None  # "thread", "X-Samad-Referral", "subject", "text", "tracking code"
    tracking_code: str | None = None  # a tracking code the mail names, when that is what it has

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
        self._by_tracking_code = {
            code: receipt
            for receipt in sorted(self._by_message_id.values(), key=lambda r: r.referral_id)
            if (code := _tracking_code_of(receipt, pattern))
        }  # the newest referral of a request, where it has two here
        self._own_suffix = f"@{domain}>".casefold()
        # The references awaited here, in the spelling a mail is searched in → as the hub has it.
        self._spellings = {_searchable(reference): reference for reference in self._by_reference}
        self._known = _any_of(self._spellings)
        self._pattern = pattern

    def find(self, headers: Mapping[str, str] | Message, text: str = "") -> Thread:
        message_ids = referred_message_ids(headers)
        known = [m for m in message_ids if m in self._by_message_id]
        if known:
            return Thread(known[0], _reference_of(self._by_message_id[known[0]]), "thread")
        reference, found_by = self._reference(headers, text)
        ours = [m for m in message_ids if self._is_ours(m)]
        if ours:
            return Thread(ours[0], reference, "thread")
        if reference:
            receipt = self._by_reference.get(reference)
            return Thread(receipt.external_id if receipt else None, reference, found_by)
        return self._by_tracking_code_in(f"{headers.get('Subject') or ''}\n{text}")

    def reference_in(self, text: str) -> str | None:
        searchable = _searchable(text)
        known = self._known.search(searchable) if self._known else None
        if known:
            return self._spellings[known.group(0)]
        for found in self._pattern.finditer(searchable):  # a whole number, not inside a longer one
            start, end = found.span()
            if not (searchable[start - 1 : start].isdigit() or searchable[end : end + 1].isdigit()):
                return found.group(0)
        return None

    def _reference(self, headers: Mapping[str, str] | Message, text: str) -> tuple[str | None, str]:
        own = " ".join(str(headers.get(REFERRAL_HEADER) or "").split())
        if own:
            return own, REFERRAL_HEADER
        for found_by, where in (("subject", str(headers.get("Subject") or "")), ("text", text)):
            reference = self.reference_in(where)
            if reference:
                return reference, found_by
        return None, ""

    def _by_tracking_code_in(self, text: str) -> Thread:
        codes = [c for c in _TRACKING_CODE.findall(_searchable(text)) if is_valid_tracking_code(c)]
        for code in codes:
            if code in self._by_tracking_code:
                receipt = self._by_tracking_code[code]
                return Thread(receipt.external_id, _reference_of(receipt), "tracking code", code)
        return Thread(None, None, tracking_code=codes[0] if codes else None)

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


def _searchable(text: str) -> str:
    """``text`` with ASCII digits, one kind of dash, none of the spaces a dash got around it."""
    return _SPACED_DASH.sub("-", normalise(text).translate(_DASHES))


def _any_of(references: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern finding any of these references, the longest first."""
    alternatives = "|".join(map(re.escape, sorted(references, key=len, reverse=True)))
    return re.compile(rf"(?<![0-9A-Za-z])(?:{alternatives})(?![0-9])") if alternatives else None


def _tracking_code_of(receipt: Receipt, pattern: re.Pattern[str]) -> str | None:
    code = receipt.raw.get("tracking_code")
    if code:
        return str(code)
    found = pattern.fullmatch(str(receipt.raw.get("reference", "")))
    return found.groupdict().get("tracking_code") if found else None


def _reference_of(receipt: Receipt) -> str | None:
    reference = receipt.raw.get("reference")
    return str(reference) if reference else None
