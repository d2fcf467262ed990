"""Normalisation of what citizens type: Persian text, digits, mobile numbers and national ids.

Pure functions, no I/O. Text is normalised conservatively (it is shown back to the citizen and
sent to agencies), while identifiers are canonicalised hard: ``09XXXXXXXXX`` for a mobile and ten
ASCII digits with a valid checksum for a کد ملی.

Failures raise :class:`NormalizationError`, a ``ValueError`` that also carries the Persian
message the intake shows next to the English one.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta

import phonenumbers

from hub.core.errors import NormalizationError

ZWNJ = "\u200c"

# Arabic letters that Persian keyboards and older software produce in place of the Persian ones.
_PERSIAN_LETTERS = str.maketrans({"\u064a": "\u06cc", "\u0649": "\u06cc", "\u0643": "\u06a9"})

# Zero-width and bidi control characters: invisible, they only make equal strings compare unequal.
# ZWNJ is kept on purpose: it is part of Persian spelling (می‌خواهم).
_INVISIBLE_CONTROLS = re.compile(
    "[\u200b\u200d\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u061c\u00ad]"
)
# Teh marbuta is written ه in Persian; it only ever ends a word, so replace it only there.
_WORD_FINAL_TEH_MARBUTA = re.compile("\u0629(?!\\w)")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_ZWNJ_BESIDE_SPACE = re.compile(f"{ZWNJ}+(?=\\s)|(?<=\\s){ZWNJ}+")
_ZWNJ_RUN = re.compile(f"{ZWNJ}{{2,}}")
_SPACE_RUN = re.compile(" {2,}")
_BLANK_LINE_RUN = re.compile(r"\n{3,}")

_ASCII_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_ID_SEPARATORS = re.compile(r"[\s\-_.()/]+")
_PLAIN_PHONE = re.compile(r"\+?[0-9]{9,15}")


def normalize_text(text: str) -> str:
    """Tidy free Persian text without changing what it says.

    Digits are left in the script the citizen used; paragraph breaks survive (at most one blank
    line in a row) because descriptions are read by agency staff.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE_CONTROLS.sub("", text)
    text = text.translate(_PERSIAN_LETTERS)
    text = _WORD_FINAL_TEH_MARBUTA.sub("\u0647", text)
    text = _HORIZONTAL_SPACE.sub(" ", text)
    text = _ZWNJ_BESIDE_SPACE.sub("", text)
    text = _ZWNJ_RUN.sub(ZWNJ, text)
    text = _SPACE_RUN.sub(" ", text)
    lines = [line.strip(" " + ZWNJ) for line in text.split("\n")]
    return _BLANK_LINE_RUN.sub("\n\n", "\n".join(lines)).strip("\n")


def ascii_digits(text: str) -> str:
    """Persian (۰–۹) and Arabic-Indic (٠–٩) digits to ASCII; everything else untouched."""
    return text.translate(_ASCII_DIGITS)


def _digits_only(text: str) -> str:
    return _ID_SEPARATORS.sub("", ascii_digits(text))


def normalize_mobile(text: str) -> str:
    """An Iranian mobile number in any usual form, as ``09XXXXXXXXX``.

    Accepts 09…, +989…, 00989…, 989… and 9…, with spaces, dashes and Persian digits.
    """
    candidate = _digits_only(text)
    # phonenumbers reads letters as keypad digits (1-800-FLOWERS); a citizen's mobile has none.
    if not _PLAIN_PHONE.fullmatch(candidate):
        raise NormalizationError(
            f"{text!r} is not a phone number", "شماره تلفن همراه قابل خواندن نیست."
        )
    try:
        number = phonenumbers.parse(candidate, "IR")
    except phonenumbers.NumberParseException as exc:
        raise NormalizationError(
            f"{text!r} is not a phone number", "شماره تلفن همراه قابل خواندن نیست."
        ) from exc
    if number.country_code != 98:
        raise NormalizationError(
            f"{text!r} is not an Iranian number (country code +{number.country_code})",
            "شماره تلفن همراه باید ایرانی باشد (پیش‌شماره ‎+98).",
        )
    if not phonenumbers.is_valid_number(number):
        raise NormalizationError(
            f"{text!r} is not a valid Iranian phone number",
            "شماره تلفن همراه نامعتبر است؛ نمونهٔ درست: ۰۹۱۲۳۴۵۶۷۸۹",
        )
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise NormalizationError(
            f"{text!r} is a landline, not a mobile number",
            "این شماره تلفن ثابت است؛ شماره تلفن همراه (۰۹…) لازم است.",
        )
    return f"0{number.national_number}"


def national_id_check_digit(first_nine: str) -> int:
    """The check digit of a کد ملی from its first nine digits (weights 10 down to 2, mod 11)."""
    weights = range(10, 1, -1)
    remainder = sum(int(d) * w for d, w in zip(first_nine, weights, strict=True)) % 11
    return remainder if remainder < 2 else 11 - remainder


def normalize_national_id(text: str) -> str:
    """A کد ملی as ten ASCII digits, checksum verified.

    Eight- and nine-digit ids are left-padded with zeros: the leading zeros of ids issued in
    some provinces are customarily dropped when written down.
    """
    digits = _digits_only(text)
    if not digits.isdecimal() or not digits.isascii():
        raise NormalizationError(
            f"national id {text!r} must contain only digits", "کد ملی فقط باید شامل رقم باشد."
        )
    if not 8 <= len(digits) <= 10:
        raise NormalizationError(
            f"national id must have 10 digits, got {len(digits)}", "کد ملی باید ۱۰ رقم باشد."
        )
    digits = digits.zfill(10)
    if len(set(digits)) == 1:
        raise NormalizationError(
            f"national id {digits} is not a real id (all digits the same)",
            "کد ملی نامعتبر است (همهٔ رقم‌ها یکسان‌اند).",
        )
    if national_id_check_digit(digits[:9]) != int(digits[9]):
        raise NormalizationError(
            f"national id {digits} fails its checksum (mistyped digit?)",
            "کد ملی نامعتبر است؛ رقم کنترل آن درست نیست (احتمالاً رقمی اشتباه وارد شده است).",
        )
    return digits


EARLIEST_RECEIVED = datetime(2000, 1, 1, tzinfo=UTC)
RECEIVED_CLOCK_SKEW = timedelta(minutes=10)
_OUT_OF_RANGE = (
    "is out of range: give a moment from 2000-01-01 to now (RFC 3339 with an offset)",
    "خارج از بازهٔ پذیرفته است: زمانی از ۱۱ دی ۱۳۷۸ (2000-01-01) تا اکنون بدهید",
)


def check_received_at(text: str, now: datetime | None = None) -> str:
    """A ``received_at`` the hub can store and count deadlines from: with an offset, not before
    2000 and not ahead of the hub's clock by more than a few minutes. Returned unchanged."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text  # not a date-time at all: the schema check reports it
    if moment.tzinfo is None:
        raise NormalizationError(
            "must give its UTC offset (e.g. +03:30)",
            "باید اختلاف با UTC را داشته باشد (مثلاً +03:30)",
        )
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 with an offset: not a moment datetime can hold
        raise NormalizationError(*_OUT_OF_RANGE) from None
    if moment < EARLIEST_RECEIVED or moment.year >= 2100:
        raise NormalizationError(*_OUT_OF_RANGE)
    if moment > (now or datetime.now(UTC)) + RECEIVED_CLOCK_SKEW:
        raise NormalizationError(
            "must not be in the future (more than 10 minutes ahead of the hub's clock)",
            "نباید در آینده باشد",
        )
    return text
