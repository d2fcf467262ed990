"""Tracking codes read over the phone: every single slip of the tongue or finger is caught."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.intake.tracking import is_valid_tracking_code, new_tracking_code, normalize_tracking_code

_PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


def single_digit_substitutions(code: str) -> list[str]:
    return [
        code[:i] + other + code[i + 1 :]
        for i, digit in enumerate(code)
        for other in "0123456789"
        if other != digit
    ]


def adjacent_transpositions(code: str) -> list[str]:
    return [
        code[:i] + code[i + 1] + code[i] + code[i + 2 :]
        for i in range(len(code) - 1)
        if code[i] != code[i + 1]
    ]


def test_a_new_code_is_eleven_digits_never_starting_with_zero() -> None:
    codes = [new_tracking_code() for _ in range(2000)]
    assert all(len(code) == 11 and code.isdigit() and code[0] != "0" for code in codes)
    assert all(is_valid_tracking_code(code) for code in codes)
    assert len(set(codes)) == len(codes)


def test_every_single_digit_mistake_in_many_codes_is_caught() -> None:
    for _ in range(300):
        code = new_tracking_code()
        mistakes = single_digit_substitutions(code)
        assert len(mistakes) == 99
        assert not any(is_valid_tracking_code(typo) for typo in mistakes), code


def test_every_swap_of_neighbouring_digits_in_many_codes_is_caught() -> None:
    for _ in range(300):
        code = new_tracking_code()
        assert not any(is_valid_tracking_code(swap) for swap in adjacent_transpositions(code)), code


@settings(deadline=None, max_examples=200)
@given(st.data())
def test_a_code_survives_persian_digits_and_separators(data: st.DataObject) -> None:
    code = new_tracking_code()
    script = data.draw(st.sampled_from([None, _PERSIAN, _ARABIC_INDIC]))
    typed = code.translate(script) if script else code
    separators = data.draw(
        st.lists(st.sampled_from([" ", "-", "  ", " - "]), min_size=10, max_size=10)
    )
    dictated = typed[0] + "".join(
        sep + digit for sep, digit in zip(separators, typed[1:], strict=True)
    )
    assert normalize_tracking_code(dictated) == code
    assert is_valid_tracking_code(f"  {dictated}  ")


@settings(deadline=None, max_examples=200)
@given(st.text(alphabet="0123456789", min_size=11, max_size=11))
def test_about_one_random_eleven_digit_string_in_ten_passes(text: str) -> None:
    # Exactly one check digit completes ten digits, so validity implies the last digit is it.
    if is_valid_tracking_code(text):
        others = [text[:-1] + d for d in "0123456789" if d != text[-1]]
        assert not any(is_valid_tracking_code(other) for other in others)


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "1234567890",
        "123456789012",
        "0" + new_tracking_code()[1:],
        "12345x67890",
        "R-12345678901",
    ],
)
def test_it_refuses_what_is_not_a_tracking_code(typed: str) -> None:
    assert not is_valid_tracking_code(typed)
    with pytest.raises(ValueError):
        normalize_tracking_code(typed)


def test_a_code_with_a_wrong_check_digit_says_so() -> None:
    code = new_tracking_code()
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(ValueError, match="check digit"):
        normalize_tracking_code(wrong)
