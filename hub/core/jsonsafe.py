"""Making what foreign systems hand us (dates, bytes, decimals) storable as JSON."""

from __future__ import annotations

import json
from typing import Any


def json_safe(value: Any) -> Any:
    """The same structure with every value JSON can't hold turned into its text."""
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
