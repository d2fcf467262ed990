"""The reply convention: a status keyword at the top of a reply, then the result for the citizen.

What the outgoing mail asks the clerk to write::

    وضعیت: رسیدگی شد            or      STATUS: RESOLVED
    متن نتیجه برای شهروند …              result text …

Clerks write as clerks do, so the keyword line may follow a greeting or an addressing line
("با سلام و احترام"), open with one, or carry the result after the status ("وضعیت: رسیدگی شد —
لوله تعویض شد"). They type on Persian keyboards, Arabic ones and phones, so the status is
normalised (Arabic ي/ك, digits, invisible direction marks, spacing) before it is looked up in the
agreement's ``status_map``: the connector returns the ``status_map`` key the clerk meant, spelled
as the agreement spells it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from hub.intake.normalize import ascii_digits

# How many lines (a greeting, an addressee) may stand above the keyword line; greetings and
# addressees are left out of the result, anything else above it is kept.
OPENING_LINES = 3

_GREETING = (
    r"(?:(?:با\s*)?(?:عرض\s*)?سلام(?:\s*علیکم)?(?:\s*و\s*(?:احترام|ادب|عرض\s*ادب|وقت\s*بخیر))?"
    r"|احتراما?ً?|وقت\s*بخیر|hello\b|hi\b|dear\b[^:،,\n]*)"
)
_SEPARATOR = r"[:：٫،,؛;.!\-–—\s]*"
STATUS_LINE = re.compile(
    rf"^\s*(?:{_GREETING}{_SEPARATOR})?(?:وضع[یي]ت|status)\s*[:：٫،\-–—]\s*(?P<rest>\S.*?)\s*$",
    re.IGNORECASE,
)
GREETING_LINE = re.compile(rf"^\s*(?:{_GREETING}{_SEPARATOR})+$", re.IGNORECASE)
# The addressee above an official answer: «مدیر محترم سامانه ۱۱۱», «جناب آقای …».
ADDRESSEE_LINE = re.compile(r"^\s*(?:(?:جناب|سرکار)\s.{0,80}|.{0,60}\bمحترم\b.{0,60})$")

# Where the status stops and the result begins when the status is none the agreement knows.
_STATUS_END = re.compile(r"\s+[-–—]\s+|\s*[—–]\s*|[.،,؛;:!؟?](?:\s|$)")
_WORD = re.compile(r"[^\s\u200c.،,؛;:!؟?()\-–—]+")
_BETWEEN = " \t\u200c.،,؛;:!؟?-–—"

_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u0640\ufeff]")
_ARABIC_TO_PERSIAN = str.maketrans("يكىة", "یکیه")


@dataclass(frozen=True)
class ParsedReply:
    status: str | None  # None: no keyword line at the top of the reply
    result: str
    first_line: str  # the reply's first line, for a person reading why it was not understood


def parse_reply(text: str, known_statuses: Collection[str] = ()) -> ParsedReply:
    """The status and the result in the clerk's own words (quoted history already cut off).

    ``known_statuses`` are the ``status_key`` of every status the agreement knows: with them a
    status is told from a result written on the same line even without a separator.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    written = [i for i, line in enumerate(lines) if line.strip()]
    first_line = lines[written[0]].strip() if written else ""
    for i in written[: OPENING_LINES + 1]:
        found = STATUS_LINE.match(lines[i])
        if found is None:
            continue
        status, same_line = _split_status(found["rest"], known_statuses)
        opening = [line for line in lines[:i] if line.strip() and not _salutes(line)]
        result = "\n".join([*opening, *([same_line] if same_line else []), *lines[i + 1 :]])
        return ParsedReply(status=status, result=result.strip(), first_line=first_line)
    return ParsedReply(status=None, result=text.strip(), first_line=first_line)


def _salutes(line: str) -> bool:
    return bool(GREETING_LINE.match(line) or ADDRESSEE_LINE.match(line))


def _split_status(rest: str, known_statuses: Collection[str]) -> tuple[str, str]:
    """``rest`` of the keyword line as (status, the result written after it)."""
    longest = 0
    reach = 2 * max(map(len, known_statuses), default=0) + 8  # no status is longer than this
    for word in _WORD.finditer(rest[:reach]):
        if status_key(rest[: word.end()]) in known_statuses:
            longest = word.end()
    if not longest:
        end = _STATUS_END.search(rest)
        longest = end.start() if end else len(rest)
    status = " ".join(rest[:longest].split()).rstrip(".!")
    return status, rest[longest:].lstrip(_BETWEEN)


def normalise(text: str) -> str:
    """Text as typed on any keyboard, in one spelling: Persian letters, ASCII digits."""
    return ascii_digits(_INVISIBLE.sub("", text).translate(_ARABIC_TO_PERSIAN))


def status_key(status: str) -> str:
    """What two spellings of one status have in common (case, half-spaces, punctuation)."""
    folded = normalise(status).replace("\u200c", " ").casefold()
    return " ".join(folded.split()).rstrip(".!")
