"""Near-duplicate request text: the same citizen calling twice about the same broken pipe.

Only the text comparison lives here; which requests to compare (same citizen, same category,
within a window) is the store's question. Texts are folded hard before comparing, much harder
than :func:`hub.intake.normalize.normalize_text` ever changes what is stored: spelling variants of
the
same Persian word (ي/ی, أ/ا, ۀ/ه, with or without ZWNJ), digit scripts, diacritics, kashida,
punctuation and case must not make two reports of one problem look different.
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz import fuzz

from hub.intake.normalize import ZWNJ, ascii_digits, normalize_text

# Measured on the Persian examples in tests/intake/test_similarity.py: rephrasings of one report
# score 89.9-98.9, the same words about another utility or street 78.7-83.3.
DEFAULT_THRESHOLD = 85.0

_LETTER_VARIANTS = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "ٱ": "ا",
        "آ": "ا",
        "ؤ": "و",
        "ئ": "ی",
        "ۀ": "ه",
        "ة": "ه",
        "ـ": None,  # kashida (tatweel) only stretches a word
        ZWNJ: " ",  # می‌خواهم and می خواهم are one spelling
    }
)
_NOT_WORD = re.compile(r"[\W_]+")


def text_fingerprint(subject: str, description: str) -> str:
    """A folded form of a request's text, for storing and comparing; idempotent."""
    return _fold(f"{subject} {description}")


def _fold(text: str) -> str:
    text = normalize_text(text).casefold()
    text = ascii_digits(text).translate(_LETTER_VARIANTS)
    # Diacritics (harakat, superscript alef) are marks, not letters: drop them.
    text = "".join(ch for ch in unicodedata.normalize("NFD", text) if not unicodedata.combining(ch))
    return _NOT_WORD.sub(" ", text).strip()


def similarity(a: str, b: str) -> float:
    """0–100: how alike two texts (or fingerprints) are once folded.

    The mean of two rapidfuzz scores: token_set_ratio forgives words one text adds (a citizen
    says more the second time) but alone rates "water cut in Imam street" and "power cut in
    Imam street" 91, and any text 100 against a short text made of its words; token_sort_ratio
    counts every word. Together they keep rephrasings high and different problems low.
    """
    a, b = _fold(a), _fold(b)
    if not a or not b:
        return 0.0
    return (fuzz.token_set_ratio(a, b) + fuzz.token_sort_ratio(a, b)) / 2


def are_near_duplicates(a: str, b: str, threshold: float = DEFAULT_THRESHOLD) -> bool:
    """Whether two request texts (or their fingerprints) very likely report the same thing."""
    return similarity(a, b) >= threshold
