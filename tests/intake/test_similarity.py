"""Near-duplicate request text, on Persian examples a call centre actually gets."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.intake.similarity import are_near_duplicates, similarity, text_fingerprint

WATER_CUT = text_fingerprint(
    "قطعی آب در خیابان امام",
    "از دیروز صبح آب منزل ما در خیابان امام گرگان قطع است و هنوز وصل نشده.",
)
POTHOLE = text_fingerprint(
    "چاله در آسفالت بلوار جرجان",
    "یک چالهٔ بزرگ در آسفالت بلوار جرجان جلوی پارک ایجاد شده که خطرناک است.",
)

SAME_PROBLEM = [
    pytest.param(
        WATER_CUT,
        text_fingerprint(
            "قطعي آب در خيابان امام!",
            "از ديروز صبح، آب منزل ما در خيابان امام گرگان قطع است و هنوز وصل نشده است",
        ),
        id="typed again on an Arabic keyboard, with punctuation",
    ),
    pytest.param(
        WATER_CUT,
        text_fingerprint(
            "آب خیابان امام قطع است",
            "آب منزل ما در خیابان امام گرگان از دیروز صبح قطع است و هنوز وصل نشده",
        ),
        id="same words in another order",
    ),
    pytest.param(
        POTHOLE,
        text_fingerprint(
            "چاله بلوار جرجان",
            "یک چاله بزرگ در آسفالت بلوار جرجان روبروی پارک ایجاد شده که خیلی خطرناک است",
        ),
        id="pothole reported again in slightly other words",
    ),
    pytest.param(
        text_fingerprint("می‌خواهم پیگیری کنم", "درخواست شماره ۱۲۳ را"),
        text_fingerprint("میخواهم پیگیری کنم", "درخواست شماره 123 را"),
        id="ZWNJ and digit script differ",
    ),
]

DIFFERENT_PROBLEMS = [
    pytest.param(
        WATER_CUT,
        text_fingerprint(
            "قطعی برق در خیابان امام",
            "از دیروز برق کوچه ما در خیابان امام گرگان قطع است.",
        ),
        id="power instead of water on the same street",
    ),
    pytest.param(
        WATER_CUT,
        text_fingerprint(
            "قطعی آب در خیابان ولیعصر",
            "از امروز صبح آب منزل ما در خیابان ولیعصر گنبد قطع است.",
        ),
        id="water cut on another street in another town",
    ),
    pytest.param(WATER_CUT, POTHOLE, id="unrelated"),
    pytest.param(WATER_CUT, text_fingerprint("آب", "قطع است"), id="a few shared words only"),
]


@pytest.mark.parametrize(("first", "second"), SAME_PROBLEM)
def test_it_sees_the_same_problem_reported_twice(first: str, second: str) -> None:
    assert are_near_duplicates(first, second)
    assert are_near_duplicates(second, first)


@pytest.mark.parametrize(("first", "second"), DIFFERENT_PROBLEMS)
def test_it_tells_different_problems_apart(first: str, second: str) -> None:
    assert not are_near_duplicates(first, second)


def test_the_fingerprint_folds_letters_digits_punctuation_and_case() -> None:
    assert text_fingerprint("قطعي آب!", "پلاك ۱۲، كوچهٔ Gol") == "قطعی اب پلاک 12 کوچه gol"


def test_raw_text_and_fingerprints_compare_alike() -> None:
    raw = "قطعي آب در خيابان امام، از ديروز"
    assert similarity(raw, text_fingerprint("قطعی آب در خیابان امام", "از دیروز")) == 100


def test_empty_text_is_never_a_duplicate() -> None:
    assert not are_near_duplicates("", "")
    assert not are_near_duplicates("!!!", "؟؟؟")


def test_a_stricter_threshold_can_be_asked_for() -> None:
    first, second = SAME_PROBLEM[2].values
    assert are_near_duplicates(first, second)
    assert not are_near_duplicates(first, second, threshold=99)


@settings(deadline=None, max_examples=200)
@given(st.text(max_size=80), st.text(max_size=80))
def test_a_fingerprint_of_a_fingerprint_is_the_same(subject: str, description: str) -> None:
    once = text_fingerprint(subject, description)
    assert text_fingerprint(once, "") == once
