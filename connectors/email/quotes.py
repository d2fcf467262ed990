"""Where a reply's quoted history begins: the clerk's own words apart from what they answer.

mail-parser-reply splits a mail's text at the headers mail programs write above a quoted or
forwarded message: Gmail's and Thunderbird's "On … wrote:", Outlook's "From: … Sent: …" block,
"-----Original Message-----". It knows English and a dozen other languages; the Persian
versions are registered here as one more language: Gmail's "در تاریخ … نوشت:", webmail's and
Thunderbird's "… نوشته:" / "… نوشت:", Outlook's "از: … ارسال شده: … به: … موضوع: …", and
"----- پیام اصلی -----" / "---------- پیام ارسال‌شده ----------".
"""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser
from mailparser_reply.constants import MAIL_LANGUAGES, QUOTED_MATCH_INCLUDE

_QUOTED = QUOTED_MATCH_INCLUDE  # a header may itself stand in a quote ("> On … wrote:")
_SENDER_LABEL = r"(?:از|فرستنده)"
_OTHER_LABELS = r"(?:ارسال[ \u200c]?شده|تاریخ ارسال|ارسال|تاریخ|به|گیرنده|موضوع|رونوشت|عنوان)"
_FORWARD_NAMES = r"(?:Forwarded [Mm]essage|پیام (?:ارسال|بازارسال|هدایت|فوروارد)[ \u200c]?شده)"
_SEPARATOR_NAMES = rf"(?:Original Message|پیام اصلی|نامه اصلی|{_FORWARD_NAMES})"

# One capturing group per alternative: the parser takes every group that matched as a header.
PERSIAN_HEADERS = {
    "wrote_header": (
        # Gmail's, which its plain text wraps onto a second line when the sender's name is long
        rf"^({_QUOTED}در تاریخ [^\n]{{0,200}}?(?:\n{_QUOTED}[^\n]{{0,200}}?)?\sنوشت\s?:)$"
        rf"|^({_QUOTED}[^\n]{{0,300}}?\s(?:نوشت|نوشته|نوشته است|نوشته‌اند)\s?:)$"
        rf"|^({_QUOTED}-{{2,}}\s*{_SEPARATOR_NAMES}\s*-{{2,}})$"
    ),
    # An Outlook block starts with who sent it, so a letter heading ("تاریخ: … موضوع: …") is not
    # taken for one.
    "from_header": (
        rf"((?:^|\n){_QUOTED}[* ]*{_SENDER_LABEL}\s?:[ *]*[^\n]*"
        rf"(?:\n{_QUOTED}[* ]*{_OTHER_LABELS}\s?:[ *]*[^\n]*)+)"
    ),
}
MAIL_LANGUAGES.setdefault("fa", PERSIAN_HEADERS)

_PARSER = EmailReplyParser(languages=["fa", "en"])
_QUOTE_LINE = re.compile(r"^\s*>", re.MULTILINE)
FORWARD_SEPARATOR = re.compile(rf"^\s*-{{2,}}\s*{_FORWARD_NAMES}", re.MULTILINE)


def fragments(text: str) -> list[str]:
    """The mail's text in parts: the clerk's own words first (maybe empty), then each quoted or
    forwarded message below it, without its header and without lines quoted with ">"."""
    parts = [_unquoted(reply.full_body) for reply in _PARSER.read(text).replies]
    return parts or [""]


def _unquoted(text: str) -> str:
    quoted = _QUOTE_LINE.search(text)
    return (text[: quoted.start()] if quoted else text).strip()
