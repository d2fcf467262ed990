"""The baseline for the intake benchmark: a bare FastAPI endpoint doing nothing but echo a code."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body, FastAPI

app = FastAPI()


@app.post("/v1/requests", status_code=201)
def submit(payload: Annotated[Any, Body()]) -> dict[str, Any]:
    return {"tracking_code": "00000000000", "status": "referred"}
