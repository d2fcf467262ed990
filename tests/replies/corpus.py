"""The e-mail corpus rewritten to answer a real referral of the run's hub.

Each mail of ``tests/connectors/email_corpus/`` answers one of three fixed referrals (its
reference, its tracking code, its referral mail's Message-ID, in ASCII or Persian digits, in
headers — encoded words included — and in bodies, whatever their transfer encoding). Here every
one of them is swapped for a referral the hub really sent, and nothing else of the mail is
touched: its shape, charset and encoding stay the clerk's.
"""

from __future__ import annotations

import base64
import quopri
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.policy import default as default_policy

from tests.connectors.test_email_corpus import CORPUS, REFERRALS
from tests.replies.agency import Referred

A, B, C = REFERRALS
# The Message-ID of each fixed referral's mail, as the corpus quotes it.
FIXED_MESSAGE_IDS = {
    A: "samad.ed3a88ac429246d34e86c4273e529e27@golestan111.test",
    B: "samad.919df030ee13dd79578336845db29d49@golestan111.test",
    C: "samad.ae113894cbd8dfa2149ada3a0dac2f77@golestan111.test",
}
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC_DIGITS = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
DIGITS = (PERSIAN_DIGITS, ARABIC_DIGITS)
Swaps = list[tuple[str, str]]


def answering(name: str, fixed_reference: str, referred: Referred) -> EmailMessage:
    """The corpus mail ``name``, written about ``fixed_reference``, answering ``referred``."""
    mail = BytesParser(policy=default_policy).parsebytes((CORPUS / name).read_bytes())
    assert isinstance(mail, EmailMessage)
    swaps = swaps_for(fixed_reference, referred)
    for part in mail.walk():
        _swap_headers(part, swaps)
        if part.get_content_maintype() == "text" and not part.is_multipart():
            _swap_body(part, swaps)
    return mail


def swaps_for(fixed_reference: str, referred: Referred) -> Swaps:
    """The fixed referral's numbers → the real one's (the reference before its tracking code)."""
    numbers = [
        (fixed_reference, referred.reference),
        (fixed_reference.partition("-")[0], referred.code),
    ]
    written = [(o.translate(t), n.translate(t)) for t in DIGITS for o, n in numbers]
    thread = (FIXED_MESSAGE_IDS[fixed_reference], referred.external_id.strip("<>"))
    return [thread, *numbers, *written]


def swap(text: str, swaps: Swaps) -> str:
    for old, new in swaps:
        text = text.replace(old, new)
    return text


def _swap_headers(part: Message, swaps: Swaps) -> None:
    items = [(name, str(value)) for name, value in part.items()]
    swapped = [(name, swap(value, swaps)) for name, value in items]
    if swapped == items:
        return  # untouched headers keep their folding and encoding as the clerk's program wrote
    for name in {name for name, _ in items}:
        del part[name]
    for name, value in swapped:
        part[name] = value


def _swap_body(part: Message, swaps: Swaps) -> None:
    charset = part.get_content_charset() or "us-ascii"
    content = part.get_payload(decode=True)
    assert isinstance(content, bytes)
    text = content.decode(charset, "replace")
    swapped = swap(text, swaps)
    if swapped == text:
        return
    data = swapped.encode(charset)
    encoding = str(part.get("Content-Transfer-Encoding", "7bit")).lower()
    if encoding == "base64":
        part.set_payload(base64.encodebytes(data).decode("ascii"))
    elif encoding == "quoted-printable":
        part.set_payload(quopri.encodestring(data).decode("ascii"))
    else:  # 7bit/8bit: the bytes as they are (the generator writes surrogates back as bytes)
        part.set_payload(data.decode("ascii", "surrogateescape"))
