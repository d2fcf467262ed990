"""The reply convention: a status keyword on the first line, then the result for the citizen.

What the outgoing mail asks the clerk to write::

    وضعیت: رسیدگی شد            or      STATUS: RESOLVED
    متن نتیجه برای شهروند …              result text …

Clerks type on Persian keyboards, Arabic ones and phones, so the status is normalised (Arabic
ي/ك, digits, invisible direction marks, spacing) before the core looks it up in the agreement's
``status_map``: the connector returns the ``status_map`` key the clerk meant, spelled as the
agreement spells it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import EmailMessage

import lxml.html

STATUS_LINE = re.compile(
    r"^\s*(?:وضعیت|وضعيت|status)\s*[:：٫،\-–—]\s*(?P<status>\S.*?)\s*$", re.IGNORECASE
)

# Where a mail program starts quoting the message being answered.
QUOTE_START = re.compile(
    r"^\s*(?:>|On .+ wrote:|.+ نوشت:|-{2,}\s*Original Message|-{2,}\s*پیام اصلی|_{5,}|From:\s)",
    re.IGNORECASE,
)

_INVISIBLE = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069\u0640\ufeff]")
_ARABIC_TO_PERSIAN = str.maketrans("يكىة", "یکیه")
_DIGITS_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")


@dataclass(frozen=True)
class ParsedReply:
    status: str | None  # None: the first line carries no status keyword
    result: str
    first_line: str


def parse_reply(text: str) -> ParsedReply:
    lines = _own_lines(text)
    first = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    first_line = lines[first].strip() if first < len(lines) else ""
    found = STATUS_LINE.match(normalise(first_line))
    if found is None:
        return ParsedReply(status=None, result="\n".join(lines).strip(), first_line=first_line)
    return ParsedReply(
        status=" ".join(found["status"].split()).rstrip(".!"),
        result="\n".join(lines[first + 1 :]).strip(),
        first_line=first_line,
    )


def normalise(text: str) -> str:
    """Text as typed on any keyboard, in one spelling: Persian letters, ASCII digits."""
    return _INVISIBLE.sub("", text).translate(_ARABIC_TO_PERSIAN).translate(_DIGITS_TO_ASCII)


def status_key(status: str) -> str:
    """What two spellings of one status have in common (case, half-spaces, punctuation)."""
    folded = normalise(status).replace("\u200c", " ").casefold()
    return " ".join(folded.split()).rstrip(".!")


def reply_text(message: EmailMessage) -> str:
    """The reply's own text: the plain part, or the HTML part as text when there is no plain one."""
    body = message.get_body(preferencelist=("plain", "html"))
    if body is None:
        return ""
    content = body.get_content()
    if body.get_content_subtype() == "html":
        content = html_to_text(content)
    return str(content)


def html_to_text(html: str) -> str:
    if not html.strip():
        return ""
    document = lxml.html.fromstring(html)
    for line_break in document.iter("br", "p", "div", "li", "tr"):
        line_break.tail = "\n" + (line_break.tail or "")
    for blockquote in list(document.iter("blockquote")):
        blockquote.drop_tree()
    return str(document.text_content())


def _own_lines(text: str) -> list[str]:
    """The lines the clerk wrote, before the quoted original begins."""
    own: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if QUOTE_START.match(line):
            break
        own.append(line.rstrip())
    return own
