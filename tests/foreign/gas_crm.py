"""A gas company's complaint CRM, as such systems are written: not the project's own sandbox.

It wants its own header (``X-Gas-Token``), wraps every answer (``{"data": {"complaint": …},
"meta": …}``), names its stages in Persian, and keeps no idempotency: every POST opens a
complaint. Its OpenAPI document comes from the pydantic models below, as FastAPI writes it. A
test makes it misbehave through ``crm.faults``: the next push opens the complaint and then
answers too late, with a 500 or with an HTML page — or answers 503 without opening anything.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

PUSHES = "/api/v2/complaints"
TOKEN_HEADER = APIKeyHeader(name="X-Gas-Token", auto_error=False)


class Stage(StrEnum):
    REGISTERED = "ثبت شده"
    REVIEWING = "در حال بررسی"
    CREW_SENT = "اعزام اکیپ"
    CLOSED = "بسته شد"


STAGES = list(Stage)


class Fault(Enum):
    CREATED_THEN_TIMEOUT = "created_then_timeout"
    CREATED_THEN_500 = "created_then_500"
    CREATED_THEN_GARBAGE = "created_then_garbage"
    UNAVAILABLE = "unavailable"  # 503, nothing opened


class Camel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ComplaintIn(Camel):
    title: str
    details: str
    customer_name: str
    mobile_phone: str
    county: str
    address: str
    channel: str = Field(description="which of the company's intake channels it came by")
    external_ref: str | None = None
    subscription_no: str | None = None


class Complaint(Camel):
    tracking_no: str
    stage: Stage
    resolution: str | None = None
    last_change: str
    external_ref: str | None = None


class ComplaintData(Camel):
    complaint: Complaint


class ComplaintsData(Camel):
    complaints: list[Complaint]


class Meta(Camel):
    request_id: str
    server: str = "gas-crm/3.2"


class ComplaintAnswer(Camel):
    data: ComplaintData
    meta: Meta


class SearchAnswer(Camel):
    data: ComplaintsData
    meta: Meta


class HealthAnswer(Camel):
    ok: bool


@dataclass
class Opened:
    number: str
    body: ComplaintIn
    opened_at: float


@dataclass
class GasCrm:
    token: str
    step_seconds: float = 0.5
    timeout_delay_seconds: float = 3.0
    faults: deque[Fault] = field(default_factory=deque)  # the next pushes' faults, in order
    complaints: dict[str, Opened] = field(default_factory=dict)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def open(self, body: ComplaintIn) -> Opened:
        with self._lock:
            number = f"GC-{next(self._numbers):07d}"
            opened = self.complaints[number] = Opened(number, body, time.monotonic())
        return opened

    def for_reference(self, reference: str) -> list[str]:
        """The complaints opened for one of our referrals (by the ``externalRef`` we sent)."""
        return [n for n, c in list(self.complaints.items()) if c.body.external_ref == reference]

    def view(self, opened: Opened) -> Complaint:
        steps = int((time.monotonic() - opened.opened_at) / self.step_seconds)
        stage = STAGES[min(steps, len(STAGES) - 1)]
        return Complaint(
            tracking_no=opened.number,
            stage=stage,
            resolution="نشتی برطرف شد" if stage is Stage.CLOSED else None,
            last_change=f"2026-05-01T10:{min(steps, 59):02d}:00+03:30",
            external_ref=opened.body.external_ref,
        )

    def app(self) -> FastAPI:
        return create_app(self)


def _meta() -> Meta:
    return Meta(request_id=uuid.uuid4().hex)


def create_app(crm: GasCrm) -> FastAPI:
    app = FastAPI(title="Gas CRM", version="3.2", description="سامانه شکایات شرکت گاز")

    def authorised(token: Annotated[str | None, Depends(TOKEN_HEADER)]) -> None:
        if token != crm.token:
            raise HTTPException(401, "توکن نامعتبر است")

    guarded = [Depends(authorised)]

    def answer(opened: Opened) -> ComplaintAnswer:
        return ComplaintAnswer(data=ComplaintData(complaint=crm.view(opened)), meta=_meta())

    @app.post(
        PUSHES,
        operation_id="createComplaint",
        response_model=ComplaintAnswer,
        status_code=201,
        dependencies=guarded,
    )
    async def create(body: ComplaintIn) -> ComplaintAnswer | Response:
        fault = crm.faults.popleft() if crm.faults else None
        if fault is Fault.UNAVAILABLE:
            return JSONResponse({"error": "maintenance"}, status_code=503)
        opened = crm.open(body)
        if fault is Fault.CREATED_THEN_TIMEOUT:
            await asyncio.sleep(crm.timeout_delay_seconds)
        elif fault is Fault.CREATED_THEN_500:
            return JSONResponse({"error": "NullReferenceException"}, status_code=500)
        elif fault is Fault.CREATED_THEN_GARBAGE:
            return HTMLResponse("<html><body><h1>ثبت شد</h1></body></html>", status_code=200)
        return answer(opened)

    @app.get(
        PUSHES, operation_id="searchComplaints", response_model=SearchAnswer, dependencies=guarded
    )
    async def search(external_ref: Annotated[str, Query(alias="externalRef")]) -> SearchAnswer:
        found = [crm.view(crm.complaints[n]) for n in crm.for_reference(external_ref)]
        return SearchAnswer(data=ComplaintsData(complaints=found), meta=_meta())

    @app.get(
        PUSHES + "/{trackingNo}",
        operation_id="getComplaint",
        response_model=ComplaintAnswer,
        dependencies=guarded,
    )
    async def get(trackingNo: str) -> ComplaintAnswer:
        opened = crm.complaints.get(trackingNo)
        if opened is None:
            raise HTTPException(404, "شکایت یافت نشد")
        return answer(opened)

    @app.get(
        "/api/v2/health", operation_id="health", response_model=HealthAnswer, dependencies=guarded
    )
    async def health() -> HealthAnswer:
        return HealthAnswer(ok=True)

    return app
