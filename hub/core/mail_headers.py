"""Header text that mail programs show exactly as the hub wrote it.

A long non-ASCII header is folded into RFC 2047 encoded words. Python 3.11's folder for
``email.policy.default`` may end an encoded word at a space and leave that space *between* two
encoded words, where RFC 2047 (section 6.2) has readers drop it: a long Persian subject then
reads "پل هواییبندر". :class:`EncodedHeader` folds with ``email.header.Header`` instead, which
keeps every space inside an encoded word.
"""

from __future__ import annotations

from email.header import Header
from email.policy import Policy

ENCODED_LINE = 76


class EncodedHeader(str):
    """A header value folded as RFC 2047 UTF-8 encoded words, every space inside one.

    To ``email.policy`` it is a header object (it has a ``name`` and a ``fold``): the policy
    stores it as it is, gives it back as it is, and lets it fold itself when the mail is written.
    """

    name: str

    def __new__(cls, name: str, value: str) -> EncodedHeader:
        if len(value.splitlines()) > 1:  # the policy's own check, which a header object skips
            raise ValueError(f"a {name} header may not hold a line break: {value!r}")
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy: Policy) -> str:
        # A folded line is a space and one encoded word, which RFC 2047 allows 75 characters.
        width = min(policy.max_line_length or ENCODED_LINE, ENCODED_LINE)
        header = Header(str(self), "utf-8", header_name=self.name)
        encoded = header.encode(linesep=policy.linesep, maxlinelen=width)
        return f"{self.name}: {encoded}{policy.linesep}"


def encoded(name: str, value: str) -> str:
    """``value`` for the header ``name``: as it is when ASCII, else an :class:`EncodedHeader`."""
    return value if value.isascii() else EncodedHeader(name, value)
