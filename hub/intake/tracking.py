"""Tracking codes (کد پیگیری): what a citizen reads back over the phone to ask about a request.

Eleven digits: ten random ones (the first never 0, so the code survives spreadsheets and
"leading zero" mishearing) and a Verhoeff check digit. Verhoeff catches every single mistyped
digit and every swap of two neighbouring digits, the two mistakes people make reading numbers
aloud, so an operator can say "that code is wrong" before searching for it.
"""

from __future__ import annotations

import re
import secrets

from stdnum import verhoeff
from stdnum.exceptions import ValidationError

from hub.intake.normalize import ascii_digits

TRACKING_CODE_LENGTH = 11

_SEPARATORS = re.compile(r"[\s\-_.]+")
_SHAPE = re.compile(rf"[1-9][0-9]{{{TRACKING_CODE_LENGTH - 1}}}")

# A referral's reference as hub/intake/referrals.py spells it: the request's tracking code, a dash
# and the referral's number (13751159899-1). Connectors look for it in what agencies write back.
REFERENCE_PATTERN = rf"(?P<tracking_code>{_SHAPE.pattern})-(?P<number>[0-9]+)"


def new_tracking_code() -> str:
    """A fresh random tracking code; uniqueness is the store's job (a unique index)."""
    smallest = 10 ** (TRACKING_CODE_LENGTH - 2)  # the body's first digit is never 0
    body = str(smallest + secrets.randbelow(9 * smallest))
    return body + verhoeff.calc_check_digit(body)


def normalize_tracking_code(text: str) -> str:
    """The canonical form (11 ASCII digits) of a code as a citizen typed or dictated it.

    Raises ``ValueError`` when it is not a tracking code, including a failed check digit.
    """
    code = _SEPARATORS.sub("", ascii_digits(text))
    if not _SHAPE.fullmatch(code):
        raise ValueError(
            f"a tracking code is {TRACKING_CODE_LENGTH} digits not starting with 0, got {text!r}"
        )
    try:
        verhoeff.validate(code)
    except ValidationError as exc:
        raise ValueError(f"tracking code {code} fails its check digit (mistyped?)") from exc
    return code


def is_valid_tracking_code(text: str) -> bool:
    """Whether ``text`` is a well-formed tracking code, after tidying digits and separators."""
    try:
        normalize_tracking_code(text)
    except ValueError:
        return False
    return True
