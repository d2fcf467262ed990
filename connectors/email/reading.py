"""From a clerk's mail to what it says: its text, the clerk's own words, the status, the result.

The plain part is read, or the HTML part as text when there is no plain one (inscriptis: the
head, styles and scripts left out, line breaks and paragraphs kept, right-to-left text as
written). The text is tidied as the hub tidies any Persian text (``hub.intake.normalize``),
parted at its quoted history (:mod:`connectors.email.quotes`) and read by the reply convention
(:mod:`connectors.email.replies`). A forward ("FW:", "---------- Forwarded message ---------")
whose sender wrote no status is read from the first forwarded message that has one: a
secretariat passing on the answer of the unit that did the work.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from email.message import EmailMessage, Message
from email.utils import collapse_rfc2231_value
from typing import cast

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

from connectors.email.quotes import FORWARD_SEPARATOR, fragments
from connectors.email.replies import ParsedReply, parse_reply
from hub.intake.normalize import normalize_text

# "strict": blocks start on a new line without the indentation "relaxed" gives them.
_HTML = ParserConfig(css=CSS_PROFILES["strict"])
_FORWARD_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|sv|پاسخ|جواب)\s*:\s*)*(?:fwd?|tr|wg|ارسال|بازارسال|هدایت|فوروارد)\s*:",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReadReply:
    parsed: ParsedReply
    text: str  # the mail's whole text, quoted history and all
    from_forward: bool  # the status was read from a message forwarded below the sender's words


def read_reply(message: EmailMessage, known_statuses: Collection[str]) -> ReadReply:
    text = normalize_text(mail_text(message))
    parts = fragments(text)
    parsed = parse_reply(parts[0], known_statuses)
    if parsed.status is None and _is_forward(str(message["Subject"] or ""), text):
        for part in parts[1:]:
            forwarded = parse_reply(part, known_statuses)
            if forwarded.status is not None:
                return ReadReply(forwarded, text, from_forward=True)
    return ReadReply(parsed, text, from_forward=False)


def mail_text(message: EmailMessage) -> str:
    """The mail's text: its plain part, or its HTML part as text when the plain one is empty."""
    for preference in ("plain", "html"):
        body = message.get_body(preferencelist=(preference,))
        content = _content(body) if body is not None else ""
        if body is None or not content.strip():
            continue
        if preference == "html":
            return html_to_text(content)
        if _param(body, "format") == "flowed":
            return unflowed(content, delsp=_param(body, "delsp") == "yes")
        return content
    return ""


def unflowed(text: str, delsp: bool = False) -> str:
    """A ``format=flowed`` text (RFC 3676, Thunderbird's default) with its soft line breaks
    undone: a line ending in a space goes on in the next one. Quoted lines are left as they are.
    """
    lines: list[str] = []
    goes_on = False
    for line in text.replace("\r\n", "\n").split("\n"):
        line = line.removeprefix(" ")  # space-stuffed
        if goes_on and not line.startswith(">"):
            lines[-1] += line
        else:
            lines.append(line)
        goes_on = lines[-1].endswith(" ") and lines[-1] != "-- " and not line.startswith(">")
        if goes_on and delsp:
            lines[-1] = lines[-1][:-1]
    return "\n".join(lines)


def html_to_text(html: str) -> str:
    return str(get_text(html, _HTML)) if html.strip() else ""


def _content(part: Message) -> str:
    try:
        return str(cast(EmailMessage, part).get_content())
    except (LookupError, UnicodeError):  # a charset Python does not know, or a broken one
        return cast(bytes, part.get_payload(decode=True) or b"").decode("utf-8", "replace")


def _param(part: Message, name: str) -> str:
    return str(collapse_rfc2231_value(part.get_param(name, ""))).strip().lower()


def _is_forward(subject: str, text: str) -> bool:
    return bool(_FORWARD_SUBJECT.match(subject) or FORWARD_SEPARATOR.search(text))
