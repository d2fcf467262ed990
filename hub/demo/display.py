"""What the demo shows while it runs and when it ends (rich)."""

from __future__ import annotations

from typing import Any

from rich.table import Table

from hub.core.states import ReferralState, RequestStatus
from hub.demo.samples import Sample

_COLOURS = {"resolved": "green", "delivery_failed": "red", "rerouted": "yellow"}


def progress_table(rows: list[tuple[Sample, dict[str, Any]]], elapsed: float) -> Table:
    table = Table(title=f"samad-hub demo — {elapsed:4.0f}s", expand=False)
    for column in ("#", "tracking code", "category", "agency", "state", "وضعیت", "tries"):
        table.add_column(column)
    for number, (sample, body) in enumerate(rows, 1):
        referrals = body.get("referrals") or [None]
        for referral in referrals:
            table.add_row(*_row(number, sample, body, referral))
    return table


def _row(number: int, sample: Sample, body: dict[str, Any], referral: Any) -> list[str]:
    done = is_done(sample, body)
    mark = "[green]✓[/green]" if done else " "
    if referral is None:
        state = body.get("status", "?")
        return [
            f"{number}{mark}",
            body.get("tracking_code", "?"),
            sample.category,
            "—",
            state,
            _request_status_fa(state),
            "",
        ]
    colour = _COLOURS.get(referral["state"], "white")
    return [
        f"{number}{mark}",
        body.get("tracking_code", "?"),
        sample.category,
        referral["agreement_id"],
        f"[{colour}]{referral['state']}[/{colour}]",
        ReferralState(referral["state"]).label_fa,
        str(referral["attempts"]),
    ]


def _request_status_fa(status: str) -> str:
    try:
        return RequestStatus(status).label_fa
    except ValueError:
        return ""


def is_done(sample: Sample, body: dict[str, Any]) -> bool:
    states = tuple(r["state"] for r in body.get("referrals", []))
    return body.get("status") == sample.expect_status and states == sample.expect_states


def mismatch(sample: Sample, body: dict[str, Any]) -> str:
    states = [r["state"] for r in body.get("referrals", [])]
    return (
        f"{body.get('tracking_code')} ({sample.category}): expected {sample.expect_status} "
        f"{list(sample.expect_states)}, got {body.get('status')} {states}"
    )
