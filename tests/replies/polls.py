"""Waiting for the run's worker to poll an agency's mailbox, instead of sleeping and hoping.

The worker counts every poll an agency answered (``samad_poll_seconds{agency}``,
:mod:`hub.core.metrics`) and serves its counters on ``SAMAD_WORKER_METRICS_PORT``
(``tests/replies/conftest.py`` sets one before the worker starts). ``next_poll_at`` is no such
signal: the poll sweep moves it when it sends the poll, before the poll runs.
"""

from __future__ import annotations

import os

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.core.waiting import wait_for


def polls_answered(agreement_id: str) -> int:
    """How many polls the agency of ``agreement_id`` has answered the run's worker so far."""
    port = os.environ["SAMAD_WORKER_METRICS_PORT"]  # read now: another conftest may set it last
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "samad_poll_seconds_count" and sample.labels == {
                "agency": agreement_id
            }:
                return int(sample.value)
    return 0


def wait_for_polls(agreement_id: str, count: int = 2, timeout: float = 60) -> None:
    """Until the agency has answered ``count`` more polls from now on. The first may have begun
    before this call; the next began after it (each is sent an interval after the last)."""
    start = polls_answered(agreement_id)
    wait_for(
        lambda: polls_answered(agreement_id) >= start + count,
        timeout=timeout,
        what=f"{count} polls of {agreement_id} after the {start} so far",
    )
