"""Working times as histogram buckets: the roll-up keeps counts per bucket, not every value.

Bucket 0 holds a zero working time, bucket 1 anything under a minute, and from a minute up the
buckets grow by a ratio of :data:`GROWTH` (1.02), so bucket ``b ≥ 2`` holds
``[60·1.02^(b-2), 60·1.02^(b-1))`` seconds. A bucket stands for the middle of its bounds, so a
percentile read from the histogram is within **1 %** of the exact value (within 30 seconds under
a minute); a whole year of working times up to 10⁷ seconds needs at most ~610 buckets.

Percentiles are nearest rank: the smallest bucket whose running count reaches ``fraction · n``.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Float, Integer, case, cast, func
from sqlalchemy.sql.elements import ColumnElement

GROWTH = 1.02
MINUTE = 60.0
PRECISION = (GROWTH - 1) / 2  # the largest relative error of a bucket's middle


def bucket_of(seconds: float) -> int:
    """The bucket of a working time (the same rule as :func:`bucket_sql`)."""
    if seconds <= 0:
        return 0
    if seconds < MINUTE:
        return 1
    return 2 + math.floor(math.log(seconds / MINUTE) / math.log(GROWTH))


def bucket_sql(column: Any) -> ColumnElement[int]:
    """The bucket of ``column`` (working seconds), computed by the database (``ln``, ``floor``)."""
    ratio = cast(column, Float) / MINUTE
    above = 2 + func.floor(func.ln(ratio) / math.log(GROWTH))
    return cast(case((column <= 0, 0), (column < MINUTE, 1), else_=above), Integer)


def bucket_value(bucket: int | None) -> float | None:
    """The working seconds a bucket stands for: the middle of its bounds."""
    if bucket is None:
        return None
    if bucket <= 0:
        return 0.0
    if bucket == 1:
        return MINUTE / 2
    low = MINUTE * GROWTH ** (bucket - 2)
    return low * (1 + GROWTH) / 2
