"""Masking national ids (کد ملی) and mobile numbers wherever text leaves the hub's tables.

:func:`mask_pii` hides every national id and mobile in a text, in Latin, Persian or Arabic
digits, keeping the last two digits so people can still tell cases apart. Tracking codes
(eleven digits, never starting with 0) are left alone: a citizen reads them out to operators.
:func:`install_log_masking` puts it in front of every log record of the process.
"""

from __future__ import annotations

import logging
import re
from typing import Any

_D = "[0-9۰-۹٠-٩]"
_PII = re.compile(
    rf"(?<![0-9۰-۹٠-٩])(?:"
    rf"(?P<intl>(?:\+|00)98[\s-]?9{_D}{{2}}[\s-]?{_D}{{3}}[\s-]?{_D}{{4}})"
    rf"|(?P<mobile>[0۰٠][9۹٩]{_D}{{9}})"
    rf"|(?P<ten>{_D}{{10}})"
    rf")(?!{_D})"
)


def _mask(match: re.Match[str]) -> str:
    text = match.group()
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    keep = set(digits[-2:])
    if match.group("mobile") or match.group("intl"):
        keep |= set(digits[:2])
    return "".join(c if (i in keep or not c.isdigit()) else "*" for i, c in enumerate(text))


def mask_pii(text: str) -> str:
    """``"کد ملی 0012345679، موبایل 09121234567"`` → ``"کد ملی ********79، موبایل 09*******67"``."""
    return _PII.sub(_mask, text)


_DIGIT_RUN = re.compile(rf"{_D}(?:[\s+-]*{_D}){{4,}}")


def _keep_last_two(match: re.Match[str]) -> str:
    text = match.group()
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    keep = set(digits[-2:])
    return "".join(c if (i in keep or not c.isdigit()) else "*" for i, c in enumerate(text))


def mask_digits(text: str) -> str:
    """Every run of five or more digits (spaces, ``+`` and ``-`` allowed inside) hidden but its
    last two: for what is said about a national id or mobile field, where even a mistyped or
    malformed number is nearly the citizen's own."""
    return _DIGIT_RUN.sub(_keep_last_two, text)


def mask_value(value: Any) -> Any:
    """The same, through a JSON-like tree (for error bodies and event data shown to people)."""
    if isinstance(value, str):
        return mask_pii(value)
    if isinstance(value, dict):
        return {k: mask_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_value(v) for v in value]
    return value


_installed = False


# Loggers whose lines are signed data the hub made, never a person's text: left whole.
UNMASKED_LOGGERS = frozenset({"hub.audit.checkpoint"})


def install_log_masking() -> None:
    """Mask every log record this process makes, whatever logger or handler it goes to."""
    global _installed
    if _installed:
        return
    _installed = True
    make_record = logging.getLogRecordFactory()

    def masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if record.name in UNMASKED_LOGGERS:
            return record
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave it for logging to report
            return record
        record.msg, record.args = mask_pii(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = mask_pii(logging.Formatter().formatException(record.exc_info))
        return record

    logging.setLogRecordFactory(masked_record)
