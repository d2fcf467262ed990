"""Realistic citizen requests for tests."""

from __future__ import annotations

import copy
import random
from typing import Any


def national_id(seed: int) -> str:
    """A valid کد ملی made from a seed (the checksum is computed, as a real one is)."""
    body = f"{(seed * 7919 + 1234567) % 10**9:09d}"
    if len(set(body)) == 1:
        body = "123456789"
    total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
    remainder = total % 11
    check = remainder if remainder < 2 else 11 - remainder
    return body + str(check)


BASE: dict[str, Any] = {
    "channel": "phone_111",
    "type": "complaint",
    "category": "water.outage",
    "subject": "قطعی آب در خیابان ولیعصر",
    "description": "از دیشب ساعت ۲۲ آب ساختمان ما قطع است و هیچ اطلاع‌رسانی نشده است.",
    "citizen": {
        "national_id": "0012345679",
        "first_name": "مریم",
        "last_name": "احمدی",
        "mobile": "09121234567",
    },
    "location": {"county": "گرگان", "city": "گرگان", "address": "خیابان ولیعصر، کوچه ۱۲"},
}


def citizen_request(**overrides: Any) -> dict[str, Any]:
    """A valid request; each call is a different citizen unless ``citizen`` is given."""
    doc = copy.deepcopy(BASE)
    doc["citizen"]["national_id"] = national_id(random.randrange(10**8))
    for key, value in overrides.items():
        doc[key] = value
    return doc
