"""``/metrics`` for Prometheus (see :mod:`hub.core.metrics` for what is counted and where)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from hub.supervision.live_metrics import exposition

router = APIRouter(tags=["metrics"])


@router.get("/metrics", response_class=Response)
def metrics() -> Response:
    """Counters, histograms and the overdue gauge, in Prometheus' text format."""
    body, content_type = exposition()
    return Response(body, media_type=content_type)
