"""Normalising what citizens type: Persian text, digits, mobile numbers, national ids."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.intake.normalize import (
    ZWNJ,
    NormalizationError,
    ascii_digits,
    normalize_mobile,
    normalize_national_id,
    normalize_text,
)

# --- free text ---------------------------------------------------------------------------------


def test_it_replaces_arabic_yeh_and_kaf_with_the_persian_letters() -> None:
    assert normalize_text("علي كريمي مصطفى") == "علی کریمی مصطفی"


def test_it_writes_a_word_final_teh_marbuta_as_heh() -> None:
    assert normalize_text("مدرسة دولتی") == "مدرسه دولتی"


def test_it_leaves_digits_in_free_text_in_the_script_the_citizen_used() -> None:
    assert normalize_text("پلاک ۱۲ و ٣٤ و 56") == "پلاک ۱۲ و ٣٤ و 56"


def test_it_collapses_doubled_zwnj_and_drops_zwnj_beside_a_space() -> None:
    assert normalize_text(f"می{ZWNJ}{ZWNJ}خواهم") == f"می{ZWNJ}خواهم"
    assert normalize_text(f"کتاب{ZWNJ} ها {ZWNJ}را") == "کتاب ها را"
    assert normalize_text(f"{ZWNJ}سلام{ZWNJ}") == "سلام"


def test_it_removes_invisible_zero_width_and_bidi_controls() -> None:
    assert normalize_text("\u200fسلام\u200b دنیا\u202a\u202c\ufeff") == "سلام دنیا"


def test_it_collapses_spaces_and_keeps_one_blank_line_between_paragraphs() -> None:
    text = "  آب   قطع\t است  \r\n\r\n\r\n\r\n  از دیروز\u00a0صبح  "
    assert normalize_text(text) == "آب قطع است\n\nاز دیروز صبح"


# Persian and Arabic letters, mixed digits, spaces of all kinds, ZWNJ and the invisible controls
# (ZWSP, ZWJ, LRM, RLM, RLE, BOM) plus a fatha.
_TRICKY_CHARACTERS = (
    "سلامآبیکيكىة۱٣5 \t\n\r\u00a0.،\u200c\u200b\u200d\u200e\u200f\u202b\ufeff\u064e"
)
_PERSIANISH = st.text(alphabet=st.sampled_from(list(_TRICKY_CHARACTERS)), max_size=60)


@settings(deadline=None, max_examples=300)
@given(_PERSIANISH)
def test_normalising_text_twice_changes_nothing_more(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(deadline=None, max_examples=300)
@given(_PERSIANISH)
def test_normalised_text_has_no_arabic_letters_stray_zwnj_or_ragged_spaces(text: str) -> None:
    result = normalize_text(text)
    assert not set("يكى\u200b\u200f\ufeff\r\t") & set(result)
    assert ZWNJ * 2 not in result
    assert f" {ZWNJ}" not in result and f"{ZWNJ} " not in result
    assert "  " not in result and "\n\n\n" not in result
    assert result == result.strip()


# --- digits ------------------------------------------------------------------------------------


def test_it_turns_persian_and_arabic_indic_digits_into_ascii() -> None:
    assert ascii_digits("۰۱۲۳۴۵۶۷۸۹ ٠١٢٣٤٥٦٧٨٩ x") == "0123456789 0123456789 x"


# --- mobile numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "09121234567",
        "0912 123 4567",
        "0912-123-4567",
        "(0912) 123 45 67",
        "+989121234567",
        "+98 912 123 4567",
        "00989121234567",
        "0098 912 123 4567",
        "989121234567",
        "9121234567",
        "۰۹۱۲۱۲۳۴۵۶۷",
        "۰۹۱۲-۱۲۳-۴۵۶۷",
        "٠٩١٢١٢٣٤٥٦٧",
        "+۹۸۹۱۲۱۲۳۴۵۶۷",
        " 09121234567 ",
    ],
)
def test_it_reads_every_usual_form_of_a_mobile_number(typed: str) -> None:
    assert normalize_mobile(typed) == "09121234567"


@pytest.mark.parametrize("typed", ["09011234567", "09351234567", "09901234567", "09191234567"])
def test_it_accepts_mobile_numbers_of_every_operator(typed: str) -> None:
    assert normalize_mobile(typed) == typed


@pytest.mark.parametrize(
    ("typed", "english", "persian"),
    [
        ("01732123456", "landline", "تلفن ثابت"),  # a Gorgan landline
        ("+44 7911 123456", "not an Iranian number", "ایرانی"),
        ("0912123456", "not a valid Iranian phone number", "نامعتبر"),
        ("0912ABC4567", "not a phone number", "قابل خواندن نیست"),
        ("", "not a phone number", "قابل خواندن نیست"),
    ],
)
def test_it_refuses_what_is_not_an_iranian_mobile(typed: str, english: str, persian: str) -> None:
    with pytest.raises(ValueError, match=english) as raised:
        normalize_mobile(typed)
    assert isinstance(raised.value, NormalizationError)
    assert persian in raised.value.message_fa


# --- national ids (کد ملی) ----------------------------------------------------------------------


def reference_check_digit(first_nine: str) -> int:
    """Written out independently of hub.intake.normalize, as the rule is published."""
    total = 0
    for position, digit in enumerate(first_nine):
        total += int(digit) * (10 - position)
    remainder = total % 11
    return remainder if remainder < 2 else 11 - remainder


# Worked by hand: 0012345679 (sum 112, r 2, check 9), 1234567891 (210, r 1, check 1),
# 0084575948 (212, r 3, check 8).
@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("0012345679", "0012345679"),
        ("1234567891", "1234567891"),
        ("0084575948", "0084575948"),
        ("۰۰۸۴۵۷۵۹۴۸", "0084575948"),
        ("٠٠٨٤٥٧٥٩٤٨", "0084575948"),
        ("008-457594-8", "0084575948"),
        ("84575948", "0084575948"),
        ("084575948", "0084575948"),
    ],
)
def test_it_accepts_valid_national_ids_in_any_digits(typed: str, canonical: str) -> None:
    assert normalize_national_id(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "english"),
    [
        ("0012345678", "fails its checksum"),
        ("0084575949", "fails its checksum"),
        ("1111111111", "all digits the same"),  # its checksum alone would pass
        ("0000000000", "all digits the same"),
        ("1234567", "must have 10 digits, got 7"),
        ("12345678901", "must have 10 digits, got 11"),
        ("00123x5679", "only digits"),
    ],
)
def test_it_refuses_invalid_national_ids(typed: str, english: str) -> None:
    with pytest.raises(NormalizationError, match=english) as raised:
        normalize_national_id(typed)
    assert "کد ملی" in raised.value.message_fa


@settings(deadline=None, max_examples=300)
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_completes_any_nine_digits(first_nine: str) -> None:
    check = reference_check_digit(first_nine)
    accepted = []
    for last in "0123456789":
        candidate = first_nine + last
        try:
            normalize_national_id(candidate)
        except NormalizationError:
            continue
        accepted.append(last)
    same_digits = len(set(first_nine + str(check))) == 1
    assert accepted == ([] if same_digits else [str(check)])
