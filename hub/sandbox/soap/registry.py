"""The power company's case registry: its cases, its own status codes, and how cases age.

The legacy system numbers cases ``BRQ/<Jalali year>/<six digits>`` and speaks in numeric status
codes with Persian titles. A case moves one status further every ``step_seconds`` of the
registry's clock (injectable, so tests move time instead of waiting). A case whose description
contains ``[return]`` is returned as outside the company's competence instead of being resolved.

Idempotency: a registration carrying a request key already seen gives back the same case (a
*replay*) — unless the registry is one that does not honour keys (``honour_request_key=False``),
which opens a case for every registration. A second case opened for a referral the registry
already holds — same hub reference, whatever the key — is a *duplicate*; a correct hub keeps that
count at zero.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jdatetime

REGISTERED, SEEN, IN_HAND, SENT_TO_COUNTY, DONE, RETURNED = 10, 20, 30, 40, 50, 90

STATUS_TITLES: dict[int, str] = {
    REGISTERED: "ثبت شده",
    SEEN: "رؤیت شده توسط کارشناس",
    IN_HAND: "در دست اقدام",
    SENT_TO_COUNTY: "ارجاع به امور برق شهرستان",
    DONE: "انجام شده",
    RETURNED: "عودت — خارج از حیطه وظایف شرکت",
}

RESOLVED_PATH = (REGISTERED, SEEN, IN_HAND, SENT_TO_COUNTY, DONE)
RETURNED_PATH = (REGISTERED, SEEN, RETURNED)
RETURN_MARKER = "[return]"

RESULT_TEXTS: dict[int, str] = {
    DONE: "اکیپ اتفاقات اعزام شد و ایراد شبکه برطرف گردید. برق مشترک وصل است.",
    RETURNED: "موضوع در حیطه وظایف شرکت توزیع نیروی برق نیست؛ به دستگاه مربوط ارجاع شود.",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class ManualClock:
    """A clock that moves only when told to: ``clock.advance(60)``."""

    now: datetime = field(default_factory=utc_now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class UnknownCase(LookupError):
    """No case with this number exists in the registry."""


@dataclass
class Case:
    number: str
    request_key: str
    registered_at: datetime
    fields: dict[str, Any]
    path: tuple[int, ...]
    replays: int = 0  # later registrations answered with this case (its request key again)

    @property
    def id(self) -> str:
        return self.number


@dataclass(frozen=True)
class StatusReport:
    number: str
    code: int
    title: str
    changed_at: datetime
    result: str | None


@dataclass
class CaseRegistry:
    step_seconds: float = 60.0
    clock: Callable[[], datetime] = utc_now
    first_sequence: int = 4501
    honour_request_key: bool = True  # False: every registration opens a case
    cases: dict[str, Case] = field(default_factory=dict)
    replays: int = 0
    duplicates: int = 0
    _by_key: dict[str, str] = field(default_factory=dict, repr=False)
    _by_reference: dict[str, str] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register(self, request_key: str, fields: dict[str, Any]) -> tuple[Case, bool]:
        """Open a case, or give back the one this key opened; True when it is a replay."""
        with self._lock:
            existing = self._by_key.get(request_key) if self.honour_request_key else None
            if existing is not None:
                self.replays += 1
                self.cases[existing].replays += 1
                return self.cases[existing], True
            reference = fields.get("ReferenceNo")
            if reference and reference in self._by_reference:
                self.duplicates += 1
            case = self._open(request_key, fields)
            if reference:
                self._by_reference.setdefault(reference, case.number)
            return case, False

    def tickets_for(self, reference: str) -> list[Case]:
        """The cases opened for one referral (its reference in ``ReferenceNo``), oldest first."""
        with self._lock:
            return [c for c in self.cases.values() if c.fields.get("ReferenceNo") == reference]

    def status(self, number: str) -> StatusReport:
        with self._lock:
            case = self.cases.get(number)
        if case is None:
            raise UnknownCase(number)
        steps = self._steps_since(case.registered_at)
        index = min(steps, len(case.path) - 1)
        code = case.path[index]
        return StatusReport(
            number=case.number,
            code=code,
            title=STATUS_TITLES[code],
            changed_at=case.registered_at + timedelta(seconds=index * self.step_seconds),
            result=RESULT_TEXTS.get(code),
        )

    def reset(self) -> None:
        with self._lock:
            self.cases.clear()
            self._by_key.clear()
            self._by_reference.clear()
            self.replays = 0
            self.duplicates = 0

    def _open(self, request_key: str, fields: dict[str, Any]) -> Case:
        now = self.clock()
        year = jdatetime.date.fromgregorian(date=now.date()).year
        number = f"BRQ/{year}/{self.first_sequence + len(self.cases):06d}"
        description = str(fields.get("Description", ""))
        path = RETURNED_PATH if RETURN_MARKER in description else RESOLVED_PATH
        case = Case(number, request_key, now, fields, path)
        self.cases[number] = case
        self._by_key[request_key] = number
        return case

    def _steps_since(self, moment: datetime) -> int:
        if self.step_seconds <= 0:
            return 0
        elapsed = (self.clock() - moment).total_seconds()
        return max(0, math.floor(elapsed / self.step_seconds))
