"""Waiting for the hub to get somewhere, as a person refreshing the page would."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx


def wait_for(
    check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.2, what: str = ""
) -> Any:
    """Call ``check`` until it returns something truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or check}: last={last!r}")


def wait_for_states(
    api: httpx.Client, code: str, states: list[str], timeout: float = 30.0
) -> dict[str, Any]:
    """The request once its referrals' states are exactly ``states``, in order."""

    def reached() -> dict[str, Any] | None:
        body = api.get(f"/v1/requests/{code}").json()
        return body if [r["state"] for r in body["referrals"]] == states else None

    try:
        return wait_for(reached, timeout, what=f"{code} to reach {states}")
    except AssertionError:
        body = api.get(f"/v1/requests/{code}").json()
        raise AssertionError(f"{code} did not reach {states}: {body}") from None
