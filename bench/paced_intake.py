"""A steady intake for the benchmarks that run a whole hub (``bench/chaos.py``,
``bench/keep_pace.py``): requests sent at a fixed rate, one every ``1/rate`` seconds, not in
bursts, each answer recorded with when it was sent and how it ended.

Sending is paced by a clock, not by the answers: a request that hangs (the database is down)
does not hold back the next one, it only holds one of the sender's threads. If every thread is
held the next sends queue up and go late; ``lateness()`` says by how much, so a run whose
"steady rate" was not steady can say so.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from tests.faults.harness import Cluster


@dataclass
class Submission:
    """One request: sent at ``sent_at`` (wall clock, seconds), answered ``outcome`` ("201",
    "503", "timeout", "conn-error" …) at ``answered_at``; its tracking code if accepted."""

    seq: int
    due_at: float
    sent_at: float
    answered_at: float
    outcome: str
    code: str | None


class PacedIntake:
    """Send ``total`` requests (None: until ``stop()``) at ``rate`` per second to ``cluster``;
    accepted tracking codes also go to ``cluster.accepted`` for its ``verify()``."""

    def __init__(
        self,
        cluster: Cluster,
        rate: float,
        total: int | None = None,
        threads: int = 48,
        timeout: float = 10.0,
    ) -> None:
        self.cluster = cluster
        self.rate = rate
        self.total = total
        self.timeout = timeout
        self.submissions: list[Submission] = []
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="intake")
        self._client = httpx.Client(limits=httpx.Limits(max_connections=threads))
        self._pacer = threading.Thread(target=self._pace, name="intake-pacer", daemon=True)
        self.started_at = 0.0
        self.sent = 0

    def start(self) -> PacedIntake:
        self.started_at = time.time()
        self._pacer.start()
        return self

    def stop(self) -> None:
        """Send no more; wait for the answers of those sent."""
        self._stopping.set()
        self._pacer.join()
        self._pool.shutdown(wait=True)
        self._client.close()

    def wait(self) -> None:
        """Until all ``total`` are sent and answered."""
        self._pacer.join()
        self.stop()

    def _pace(self) -> None:
        seq = 0
        while not self._stopping.is_set() and (self.total is None or seq < self.total):
            due = self.started_at + seq / self.rate
            pause = due - time.time()
            if pause > 0 and self._stopping.wait(pause):
                return
            self._pool.submit(self._send, seq, due)
            seq += 1
            self.sent = seq

    def _send(self, seq: int, due: float) -> None:
        sent = time.time()
        outcome, code = self.cluster.submit_one(
            seed=1_000_000 + seq, client=self._client, timeout=self.timeout
        )
        done = Submission(seq, due, sent, time.time(), outcome, code)
        with self._lock:
            self.submissions.append(done)
            if code is not None:
                self.cluster.accepted.append(code)

    def answered(self) -> list[Submission]:
        with self._lock:
            return sorted(self.submissions, key=lambda s: s.seq)

    def lateness(self) -> float:
        """The latest any request was sent after its due moment, in seconds."""
        return max((s.sent_at - s.due_at for s in self.answered()), default=0.0)
